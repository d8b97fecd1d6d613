// The PipelineRun controller's setup: for PipelineRuns, owns runner pods, and watches NodePools
// (a pool's creation, deletion or new spec changes what its runs should do).
import { objectKey, type Pod } from '../kube/json.ts';
import { controllingRunUid, ownerRunKey, podsByRunUid, runsByPool } from '../indexes.ts';
import { PipelineRunReconciler } from '../reconcilers/pipelinerun.ts';
import { pipelineRunWriter } from '../reconcilers/writers.ts';
import { finalPhases } from '../resources/api.ts';
import type { PipelineRun } from '../resources/types.ts';
import { onPoolShapeChange, type ControllerEntry, type SetupContext } from './setup.ts';

export function setupPipelineRunController(ctx: SetupContext): ControllerEntry {
  const { caches, options, metrics } = ctx;
  caches.runs.addIndex(runsByPool, (run) => [run.spec.pool]);
  caches.pods.addIndex(podsByRunUid, controllingRunUid);

  const reconciler = new PipelineRunReconciler({
    writer: pipelineRunWriter(ctx.clients),
    runs: caches.runs,
    pods: caches.pods,
    pools: caches.pools,
    admission: ctx.admission,
    recorder: ctx.recorder,
    metrics,
    config: {
      defaultTtlSeconds: options.defaultTtlSeconds,
      defaultPendingTimeoutMs: options.defaultPendingTimeoutMs,
      maxInfrastructureRetries: options.maxInfrastructureRetries,
      gitImage: options.gitImage,
      archiveLogs: ctx.logStore !== undefined,
    },
  });
  const controller = ctx.newController('pipelinerun', reconciler.reconcile);

  const onRun = (run: PipelineRun) => {
    controller.enqueue(objectKey(run));
  };
  caches.runs.on({ add: onRun, update: onRun, delete: onRun });

  const onPod = (pod: Pod) => {
    const key = ownerRunKey(pod);
    if (key) controller.enqueue(key);
  };
  caches.pods.on({ add: onPod, update: onPod, delete: onPod });

  onPoolShapeChange(caches.pools, (pool) => {
    for (const run of caches.runs.byIndex(runsByPool, pool.metadata.name ?? ''))
      controller.enqueue(objectKey(run));
  });

  metrics.runPhaseCounts = () => {
    const counts: Record<string, number> = {};
    for (const run of caches.runs.list()) {
      const phase = run.status?.phase ?? 'New';
      counts[phase] = (counts[phase] ?? 0) + 1;
    }
    return counts;
  };

  return {
    name: 'pipelinerun',
    controller,
    // Unfinished runs, and finished ones with a TTL to keep.
    resync(everything) {
      for (const run of caches.runs.list()) {
        const phase = run.status?.phase;
        if (
          everything ||
          !phase ||
          !finalPhases.has(phase) ||
          run.spec.ttlSecondsAfterFinished !== undefined
        ) {
          controller.enqueue(objectKey(run));
        }
      }
    },
  };
}
