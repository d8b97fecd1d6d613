// The Node controller's setup: for Nodes, and watches NodePools (a pool's creation, deletion or
// new selector, labels or taints changes what every node should carry).
import type { Node } from '../kube/json.ts';
import { NodeReconciler } from '../reconcilers/node.ts';
import { nodeWriter } from '../reconcilers/writers.ts';
import { onPoolShapeChange, type ControllerEntry, type SetupContext } from './setup.ts';

export function setupNodeController(ctx: SetupContext): ControllerEntry {
  const { caches } = ctx;
  const reconciler = new NodeReconciler({
    writer: nodeWriter(ctx.clients),
    nodes: caches.nodes,
    pools: caches.pools,
    scoped: ctx.options.poolSelector !== '',
  });
  const controller = ctx.newController('node', reconciler.reconcile);
  const all = () => {
    for (const node of caches.nodes.list()) controller.enqueue(node.metadata?.name ?? '');
  };

  const onNode = (node: Node) => {
    controller.enqueue(node.metadata?.name ?? '');
  };
  caches.nodes.on({ add: onNode, update: onNode, delete: onNode });

  onPoolShapeChange(caches.pools, all);

  return {
    name: 'node',
    controller,
    resync(everything) {
      if (everything) all();
    },
  };
}
