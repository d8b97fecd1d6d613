// What the operator's caches keep of each object: only what its decisions read. With 10,000
// finished runs and their pods cached, the rest (scripts, env, volumes, kubectl's copy of the
// spec, container details) would be most of the operator's memory. Pure; each function lists
// what it keeps, so adding a reader of another field means adding it here.
import type { Node, Pod } from './kube/json.ts';
import {
  defined,
  finalPhases,
  generationAnnotation,
  logsFinalizer,
  pinnedNodeAnnotation,
  lastAppliedAnnotation as lastApplied,
} from './resources/api.ts';
import { attemptLabel, poolLabel } from './resources/labels.ts';
import { podRequests } from './resources/nodepool/capacity.ts';
import { formatAmount } from './resources/nodepool/quantity.ts';
import type { PipelineRun } from './resources/types.ts';

/**
 * Unfinished runs are kept whole (minus kubectl's copy of the spec): the plan reads all of
 * them. A finished run is only ever looked at for its TTL, its pool's queue and the metrics.
 */
export function trimRun(run: PipelineRun): PipelineRun {
  const annotations = run.metadata.annotations;
  if (annotations && lastApplied in annotations) {
    const { [lastApplied]: _dropped, ...rest } = annotations;
    run.metadata.annotations = rest;
  }
  const phase = run.status?.phase;
  if (!phase || !finalPhases.has(phase)) return run;
  const m = run.metadata;
  return {
    apiVersion: run.apiVersion,
    kind: run.kind,
    metadata: defined({
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      generation: m.generation,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
    }),
    spec: defined({
      pool: run.spec.pool,
      ttlSecondsAfterFinished: run.spec.ttlSecondsAfterFinished,
      priority: run.spec.priority,
      steps: [],
    }),
    status: defined({
      phase,
      reason: run.status?.reason,
      startTime: run.status?.startTime,
      completionTime: run.status?.completionTime,
    }),
  };
}

/**
 * Runner pods: identity, owner, node, phase, conditions that matter (scheduling, disruption)
 * and each container's name, image and state. Commands, env, volumes, IPs go.
 */
export function trimPod(pod: Pod): Pod {
  const m = pod.metadata ?? {};
  const s = pod.status;
  const containerState = (c: NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number]) =>
    defined({ name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, state: c.state });
  const names = (list: { name: string; restartPolicy?: string }[] | undefined) =>
    list?.map((c) => defined({ name: c.name, restartPolicy: c.restartPolicy }));
  const generation = m.annotations?.[generationAnnotation];
  const pinned = m.annotations?.[pinnedNodeAnnotation];
  const pool = m.labels?.[poolLabel];
  const attempt = m.labels?.[attemptLabel];
  // Kept only on pods carrying Furrow's logs finalizer: the archiver removes it by its index.
  const finalizers = m.finalizers?.includes(logsFinalizer) ? m.finalizers : undefined;
  return {
    metadata: defined({
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      finalizers,
      labels:
        pool !== undefined || attempt !== undefined
          ? (defined({ [poolLabel]: pool, [attemptLabel]: attempt }) as Record<string, string>)
          : undefined,
      annotations:
        generation !== undefined || pinned !== undefined
          ? (defined({ [generationAnnotation]: generation, [pinnedNodeAnnotation]: pinned }) as Record<
              string,
              string
            >)
          : undefined,
      ownerReferences: m.ownerReferences?.filter((o) => o.controller),
    }),
    spec: defined({
      nodeName: pod.spec?.nodeName,
      initContainers: names(pod.spec?.initContainers),
      containers: names(pod.spec?.containers) ?? [],
    }),
    ...(s
      ? {
          status: defined({
            phase: s.phase,
            reason: s.reason,
            message: s.message,
            conditions: s.conditions?.filter(
              (c) => c.type === 'PodScheduled' || c.type === 'DisruptionTarget',
            ),
            initContainerStatuses: s.initContainerStatuses?.map(containerState),
            containerStatuses: s.containerStatuses?.map(containerState),
          }),
        }
      : {}),
  };
}

/** Nodes keep labels, annotations (Furrow's record), taints and readiness; image lists go. */
/**
 * A pod that isn't a runner pod but is bound to a node (a DaemonSet's, say): admission only needs
 * what it takes from its node, so it is kept as one container holding the pod's effective
 * requests, computed once here (ADR 9).
 */
export function trimNodePod(pod: Pod): Pod {
  const m = pod.metadata ?? {};
  const requests = podRequests(pod.spec ?? { containers: [] });
  const quantities: Record<string, string> = {};
  for (const [name, amount] of requests) if (name !== 'pods') quantities[name] = formatAmount(name, amount);
  return {
    metadata: defined({
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
    }),
    spec: {
      nodeName: pod.spec?.nodeName,
      containers: [{ name: 'requests', resources: { requests: quantities } }],
    },
  };
}

export function trimNode(node: Node): Node {
  const status = node.status;
  return {
    metadata: node.metadata,
    spec: node.spec,
    ...(status
      ? {
          status: {
            conditions: status.conditions,
            allocatable: status.allocatable,
            capacity: status.capacity,
          },
        }
      : {}),
  };
}
