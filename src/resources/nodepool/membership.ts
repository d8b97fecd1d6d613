// Which pool owns which node. A node belongs to the oldest pool whose nodeSelector matches it
// (ties by name): a second pool can't take nodes away from the first, and reports them.
import type { Node } from '../../kube/json.ts';
import { matchesSelector } from '../selectors.ts';
import type { NodePool } from '../types.ts';
import { parseTime } from '../pipelinerun/time.ts';

export function olderFirst(a: NodePool, b: NodePool): number {
  const ta = parseTime(a.metadata.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp) ?? 0;
  return ta - tb || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Pools being deleted own nothing: their nodes are being released. */
export function livePools(pools: NodePool[]): NodePool[] {
  return pools.filter((p) => !p.metadata.deletionTimestamp).sort(olderFirst);
}

/** The pool that owns `node`, among pools sorted oldest first (see livePools). */
export function owningPool(node: Node, pools: NodePool[]): NodePool | undefined {
  return pools.find((pool) => matchesSelector(pool.spec.nodeSelector, node.metadata?.labels));
}

export interface PoolMembership {
  members: Node[];
  /** Nodes the pool's selector matches that an older pool owns, with that pool's name. */
  claimedByOthers: { node: string; pool: string }[];
}

export function membership(pool: NodePool, nodes: Node[], pools: NodePool[]): PoolMembership {
  const result: PoolMembership = { members: [], claimedByOthers: [] };
  if (pool.metadata.deletionTimestamp) return result;
  const ordered = livePools(pools);
  for (const node of nodes) {
    if (!matchesSelector(pool.spec.nodeSelector, node.metadata?.labels)) continue;
    const owner = owningPool(node, ordered);
    if (owner?.metadata.name === pool.metadata.name) result.members.push(node);
    else if (owner)
      result.claimedByOthers.push({ node: node.metadata?.name ?? '', pool: owner.metadata.name ?? '' });
  }
  return result;
}

/** Ready and schedulable: a node that can take a runner pod now. */
export function isReadyNode(node: Node): boolean {
  if (node.spec?.unschedulable) return false;
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
