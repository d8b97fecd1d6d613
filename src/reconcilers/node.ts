// The Node reconciler: keeps on each node the labels and taints of the pool that owns it (the
// oldest pool whose selector matches), and removes what Furrow added once no pool owns it.
import type { CacheReader } from '../kube/cache.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { Node } from '../kube/json.ts';
import { objectLogger } from '../observability/logger.ts';
import { foreignPool, livePools, owningPool } from '../resources/nodepool/membership.ts';
import { nodePatch } from '../resources/nodepool/node-patch.ts';
import type { NodePool } from '../resources/types.ts';
import type { NodeWriter } from './writers.ts';

export interface NodeReconcilerDeps {
  writer: NodeWriter;
  nodes: CacheReader<Node>;
  pools: CacheReader<NodePool>;
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
    const outcome = await this.deps.writer.patchNode(name, change.patch);
    if (outcome === 'gone') return undefined;
    // The taint list was computed from an older version of the node: try again from the newer.
    if (outcome === 'conflict') return { requeueAfterMs: 200 };
    log.info('updated node for its pool', {
      pool: owner?.metadata.name ?? '(none)',
      change: change.summary,
    });
    return undefined;
  };
}
