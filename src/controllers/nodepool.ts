// The NodePool controller's setup: for NodePools; a pool's counts and readiness follow its
// runs, their pods, the nodes and the namespaces, so those wake it too. It passes the queue's
// verdicts on to runs, and asks nodes of a deleted pool to be cleaned.
import type { Pod } from '../kube/json.ts';
import { activePool, activeRunsByPool, ownerRunKey } from '../indexes.ts';
import { NodePoolReconciler } from '../reconcilers/nodepool.ts';
import { nodePoolWriter } from '../reconcilers/writers.ts';
import { poolLabel } from '../resources/labels.ts';
import type { NodePool, PipelineRun } from '../resources/types.ts';
import type { ControllerEntry, SetupContext } from './setup.ts';

/**
 * A pool's reconcile looks at all its unfinished runs, and each of its runs' notifications
 * (several a run) would ask for one: with thousands of runs in flight that is most of the
 * operator's CPU. Run and pod notifications ask for it this long after; the ones that come
 * meanwhile ride along. The pool's counts are written at most once a second anyway; a queued
 * run hears of a freed slot this much later at most.
 */
export const poolSettleMs = 250;

export function setupNodePoolController(ctx: SetupContext): ControllerEntry {
  const { caches } = ctx;
  caches.runs.addIndex(activeRunsByPool, activePool);

  const reconciler = new NodePoolReconciler({
    writer: nodePoolWriter(ctx.clients),
    pools: caches.pools,
    nodes: caches.nodes,
    runs: caches.runs,
    admission: ctx.admission,
    recorder: ctx.recorder,
    metrics: ctx.metrics,
    enqueueRun: (key) => ctx.controllers.enqueue('pipelinerun', key),
    enqueueNode: (name) => ctx.controllers.enqueue('node', name),
  });
  const controller = ctx.newController('nodepool', reconciler.reconcile);
  const all = () => {
    for (const pool of caches.pools.list()) controller.enqueue(pool.metadata.name ?? '');
  };

  const onPool = (pool: NodePool) => {
    controller.enqueue(pool.metadata.name ?? '');
  };
  caches.pools.on({ add: onPool, update: onPool, delete: onPool });

  const onRun = (run: PipelineRun) => {
    controller.enqueueAfter(run.spec.pool, poolSettleMs);
  };
  caches.runs.on({ add: onRun, update: onRun, delete: onRun });

  const onPod = (pod: Pod) => {
    const pool = pod.metadata?.labels?.[poolLabel];
    if (ownerRunKey(pod) && pool) controller.enqueueAfter(pool, poolSettleMs);
  };
  caches.pods.on({ add: onPod, update: onPod, delete: onPod });

  caches.nodes.on({ add: all, update: all, delete: all });
  caches.namespaces.on({ add: all, update: all, delete: all });

  return { name: 'nodepool', controller, resync: all };
}
