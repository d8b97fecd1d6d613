// The pools' admission (src/admission/): the indexes it reads, and the notifications that make
// its cached verdicts stale. Not a controller: it has no queue, the reconcilers ask it.
import { PoolAdmission } from '../admission/pool-admission.ts';
import type { Caches } from '../informers.ts';
import {
  activePool,
  activeRunsByPool,
  boundNode,
  controllingRunUid,
  ownerRunKey,
  podsByNode,
  podsByRunUid,
} from '../indexes.ts';
import type { Pod } from '../kube/json.ts';
import { poolLabel } from '../resources/labels.ts';
import type { PipelineRun } from '../resources/types.ts';
import { onPoolShapeChange } from './setup.ts';

export function setupAdmission(caches: Caches, scoped: boolean): PoolAdmission {
  caches.runs.addIndex(activeRunsByPool, activePool);
  caches.pods.addIndex(podsByRunUid, controllingRunUid);
  caches.nodePods.addIndex(podsByNode, boundNode);
  const admission = new PoolAdmission(caches, scoped);

  const onRun = (run: PipelineRun) => {
    admission.invalidate(run.spec.pool);
  };
  caches.runs.on({ add: onRun, update: onRun, delete: onRun });

  // A pod that shows up in the cache confirms its run's reservation.
  const onPod = (pod: Pod, added: boolean) => {
    const key = ownerRunKey(pod);
    if (!key) return;
    if (added) admission.release(key);
    const pool = pod.metadata?.labels?.[poolLabel];
    if (pool) admission.invalidate(pool);
  };
  caches.pods.on({
    add: (p) => onPod(p, true),
    update: (p) => onPod(p, false),
    delete: (p) => onPod(p, false),
  });

  const all = () => {
    admission.invalidateAll();
  };
  onPoolShapeChange(caches.pools, all);
  caches.nodes.on({ add: all, update: all, delete: all });
  caches.namespaces.on({ add: all, update: all, delete: all });
  // Other pods taking or freeing room on nodes: the queues, not the pools' membership.
  const queues = () => {
    admission.invalidateQueues();
  };
  caches.nodePods.on({ add: queues, update: queues, delete: queues });
  return admission;
}
