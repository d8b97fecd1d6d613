// Which pool owns which node. A node belongs to the oldest pool whose nodeSelector matches it
// (ties by name): a second pool can't take nodes away from the first, and reports them.
import type { Node } from '../../kube/json.ts';
import { matchesSelector } from '../selectors.ts';
import { readRecord } from './node-patch.ts';
import type { NodePool } from '../types.ts';
import { parseTime } from '../api.ts';

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

/**
 * The pool recorded on `node` when this operator can't see that pool: an operator scoped by
 * --pool-selector shares the nodes with other installs, and a node another install has taken
 * is theirs (the first to claim a node keeps it; this one leaves it alone).
 */
export function foreignPool(node: Node, visiblePools: NodePool[]): string | undefined {
  const recorded = readRecord(node)?.pool;
  if (!recorded) return undefined;
  return visiblePools.some((p) => p.metadata.name === recorded) ? undefined : recorded;
}

/**
 * `scoped`: this operator sees only some pools (--pool-selector), so a node recorded for a
 * pool it can't see belongs to another install. Unscoped, such a record is a deleted pool's.
 */
export function membership(pool: NodePool, nodes: Node[], pools: NodePool[], scoped = false): PoolMembership {
  const result: PoolMembership = { members: [], claimedByOthers: [] };
  if (pool.metadata.deletionTimestamp) return result;
  const ordered = livePools(pools);
  for (const node of nodes) {
    if (!matchesSelector(pool.spec.nodeSelector, node.metadata?.labels)) continue;
    const foreign = scoped ? foreignPool(node, pools) : undefined;
    if (foreign) {
      result.claimedByOthers.push({ node: node.metadata?.name ?? '', pool: foreign });
      continue;
    }
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
