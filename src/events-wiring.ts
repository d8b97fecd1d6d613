// Which cache events reach which controllers' queues. A change wakes every controller whose
// decision it may change, and marks the admission queues it affects as stale.
import type { Controller } from './kube/controller.ts';
import { objectKey, type Node, type Pod } from './kube/json.ts';
import { ownerRunKey, type Caches } from './informers.ts';
import { poolLabel } from './resources/labels.ts';
import { runsByPool, type PoolQueues } from './reconcilers/pool-queues.ts';
import type { NodePool, PipelineRun } from './resources/types.ts';

export interface Controllers {
  runs: Controller;
  nodes: Controller;
  pools: Controller;
}

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
    c.pools.enqueue(run.spec.pool);
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
      c.pools.enqueue(pool);
    }
  };
  caches.pods.on({
    add: (p) => onPod(p, true),
    update: (p) => onPod(p, false),
    delete: (p) => onPod(p, false),
  });

  const onPool = (pool: NodePool) => {
    const name = pool.metadata.name ?? '';
    queues.invalidateAll();
    c.pools.enqueue(name);
    allNodes();
    for (const run of caches.runs.byIndex(runsByPool, name)) c.runs.enqueue(objectKey(run));
  };
  caches.pools.on({ add: onPool, update: onPool, delete: onPool });

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
