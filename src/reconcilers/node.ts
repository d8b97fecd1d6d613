// The Node reconciler: keeps on each node the labels and taints of the pool that owns it (the
// oldest pool whose selector matches), and removes what Furrow added once no pool owns it.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Cache } from '../kube/cache.ts';
import type { KubeClients } from '../kube/client.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import type { Node } from '../kube/json.ts';
import { objectLogger } from '../observability/logger.ts';
import { foreignPool, livePools, owningPool } from '../resources/nodepool/membership.ts';
import { nodePatch } from '../resources/nodepool/node-patch.ts';
import type { NodePool } from '../resources/types.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface NodeReconcilerDeps {
  clients: KubeClients;
  nodes: Cache<Node>;
  pools: Cache<NodePool>;
  /** This operator sees only some pools (--pool-selector): nodes of others' pools are left alone. */
  scoped: boolean;
}

export class NodeReconciler {
  private readonly deps: NodeReconcilerDeps;

  constructor(deps: NodeReconcilerDeps) {
    this.deps = deps;
  }

  reconcile = async (name: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> => {
    const node = this.deps.nodes.get(name);
    if (!node) return undefined;
    const pools = this.deps.pools.list();
    if (this.deps.scoped && foreignPool(node, pools)) return undefined;
    const owner = owningPool(node, livePools(pools));
    const change = nodePatch(node, owner);
    if (!change) return undefined;
    const log = objectLogger(ctx.log, { kind: 'Node', name });
    try {
      await this.deps.clients.core.patchNode({ name, body: change.patch }, mergePatch);
      log.info('updated node for its pool', {
        pool: owner?.metadata.name ?? '(none)',
        change: change.summary,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // The taint list was computed from an older version of the node: try again from the newer.
      if (isConflict(err)) return { requeueAfterMs: 200 };
      throw err;
    }
    return undefined;
  };
}
