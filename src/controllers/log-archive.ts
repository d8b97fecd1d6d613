// The log archive controller's setup: for runner pods carrying the logs finalizer (ADR 12). The
// archiver copies a finished attempt's logs off the reconcile path and queues the pod's key
// again when a copy ends; a pod's deletion notification lets the archiver forget it.
import { objectKey, type Pod } from '../kube/json.ts';
import { LogArchiver, type PodLogSource } from '../archive/archiver.ts';
import { LogRetention } from '../archive/retention.ts';
import { LogArchiveReconciler } from '../reconcilers/log-archive.ts';
import { logArchiveWriter } from '../reconcilers/writers.ts';
import { hasLogsFinalizer } from '../resources/logs/archive-plan.ts';
import type { ControllerEntry, SetupContext } from './setup.ts';

export function setupLogArchiveController(ctx: SetupContext): ControllerEntry {
  const { caches, clients, metrics, logStore } = ctx;
  const logs: PodLogSource = {
    open: (namespace, pod, container, signal) =>
      (ctx.logClients ?? clients).getStream(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
        { container, timestamps: 'true' },
        signal,
      ),
  };
  // The controller and the archiver queue into each other: the reconcile is first called, and
  // a copy first ends, long after setup.
  const controller = ctx.newController('log-archive', (key, rctx) => reconciler.reconcile(key, rctx));
  const archiver = logStore
    ? new LogArchiver({
        store: logStore.store,
        logs,
        concurrency: logStore.concurrency,
        metrics,
        log: ctx.log,
        classify: logStore.classify,
        done: (key) => controller.enqueue(key),
      })
    : undefined;
  const reconciler = new LogArchiveReconciler({
    pods: caches.pods,
    runs: caches.runs,
    archiver,
    writer: logArchiveWriter(clients),
    recorder: ctx.recorder,
    metrics,
    deadlineMs: logStore?.deadlineMs ?? 0,
  });
  const retention = logStore
    ? new LogRetention({
        store: logStore.store,
        runs: caches.runs,
        retentionMs: logStore.retentionMs,
        log: ctx.log,
      })
    : undefined;

  const onPod = (pod: Pod) => {
    if (hasLogsFinalizer(pod)) controller.enqueue(objectKey(pod));
  };
  caches.pods.on({
    add: onPod,
    update: onPod,
    delete: (pod) => {
      archiver?.forget(pod.metadata?.uid ?? '');
      controller.enqueue(objectKey(pod));
    },
  });

  return {
    name: 'log-archive',
    controller,
    resync(everything) {
      // Every pod the finalizer holds: after a restart, or a store that was down, nothing is
      // missed (a done copy costs one HEAD of its manifest).
      for (const pod of caches.pods.list()) if (hasLogsFinalizer(pod)) controller.enqueue(objectKey(pod));
      if (everything) retention?.start();
    },
    stop() {
      archiver?.stop();
      retention?.stop();
    },
  };
}
