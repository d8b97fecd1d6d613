// Which cache events reach which controllers' queues. A change wakes every controller whose
// decision it may change, and marks the admission queues it affects as stale.
import type { Controller } from './kube/controller.ts';
import { objectKey, type Node, type Pod } from './kube/json.ts';
import type { Caches } from './informers.ts';
import { ownerRunKey } from './resources/api.ts';
import { poolLabel } from './resources/labels.ts';
import { runsByPool, type PoolQueues } from './reconcilers/pool-queues.ts';
import type { NodePool, PipelineRun } from './resources/types.ts';

export interface Controllers {
  runs: Controller;
  nodes: Controller;
  pools: Controller;
}

/**
 * A pool's reconcile looks at all its unfinished runs, and each of its runs' events (several a
 * run) would ask for one: with thousands of runs in flight that is most of the operator's CPU.
 * Run and pod events ask for it this long after; the ones that come meanwhile ride along. The
 * pool's counts are written at most once a second anyway; a queued run hears of a freed slot
 * this much later at most.
 */
export const poolSettleMs = 250;

export function wireEvents(caches: Caches, queues: PoolQueues, c: Controllers): void {
  const allPools = () => {
    for (const pool of caches.pools.list()) c.pools.enqueue(pool.metadata.name ?? '');
  };
  const allNodes = () => {
    for (const node of caches.nodes.list()) c.nodes.enqueue(node.metadata?.name ?? '');
  };

  const onRun = (run: PipelineRun) => {
    c.runs.enqueue(objectKey(run));
    queues.invalidate(run.spec.pool);
    c.pools.enqueueAfter(run.spec.pool, poolSettleMs);
  };
  caches.runs.on({ add: onRun, update: onRun, delete: onRun });

  const onPod = (pod: Pod, added: boolean) => {
    const key = ownerRunKey(pod);
    if (!key) return;
    if (added) queues.release(key);
    c.runs.enqueue(key);
    const pool = pod.metadata?.labels?.[poolLabel];
    if (pool) {
      queues.invalidate(pool);
      c.pools.enqueueAfter(pool, poolSettleMs);
    }
  };
  caches.pods.on({
    add: (p) => onPod(p, true),
    update: (p) => onPod(p, false),
    delete: (p) => onPod(p, false),
  });

  // A pool's status changes with every run it starts or finishes; only a change of its spec,
  // or its creation or deletion, can change what its nodes and runs should be. Reacting to
  // status writes would requeue every run of the pool at each one.
  const seenPools = new Map<string, string>();
  const onPool = (pool: NodePool, gone = false) => {
    const name = pool.metadata.name ?? '';
    c.pools.enqueue(name);
    const shape = gone
      ? 'deleted'
      : `${pool.metadata.generation ?? 0}/${pool.metadata.deletionTimestamp ?? ''}`;
    if (seenPools.get(name) === shape) return;
    if (gone) seenPools.delete(name);
    else seenPools.set(name, shape);
    queues.invalidateAll();
    allNodes();
    for (const run of caches.runs.byIndex(runsByPool, name)) c.runs.enqueue(objectKey(run));
  };
  caches.pools.on({ add: (p) => onPool(p), update: (p) => onPool(p), delete: (p) => onPool(p, true) });

  const onNode = (node: Node) => {
    queues.invalidateAll();
    c.nodes.enqueue(node.metadata?.name ?? '');
    allPools();
  };
  caches.nodes.on({ add: onNode, update: onNode, delete: onNode });

  const onNamespace = () => {
    queues.invalidateAll();
    allPools();
  };
  caches.namespaces.on({ add: onNamespace, update: onNamespace, delete: onNamespace });
}
