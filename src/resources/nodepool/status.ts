// pool + its members + its queue → the pool's status. Pure.
import { setCondition } from '../api.ts';
import type { NodePool, NodePoolStatus } from '../types.ts';
import type { PoolMembership } from './membership.ts';
import type { QueueResult } from './queue.ts';

export function poolStatus(
  pool: NodePool,
  members: PoolMembership,
  readyNodes: number,
  queue: QueueResult,
  now: number,
): NodePoolStatus {
  const old = pool.status ?? {};
  const generation = pool.metadata.generation ?? 0;
  const total = members.members.length;
  const ready =
    total === 0
      ? { status: 'False' as const, reason: 'NoNodes', message: 'no node matches spec.nodeSelector' }
      : readyNodes === 0
        ? { status: 'False' as const, reason: 'NoReadyNodes', message: `none of the ${total} nodes is ready` }
        : {
            status: 'True' as const,
            reason: 'NodesReady',
            message: `${readyNodes} of ${total} nodes are ready`,
          };
  let conditions = setCondition(old.conditions, { type: 'Ready', ...ready }, generation, now);
  const claimed = members.claimedByOthers;
  conditions = setCondition(
    conditions,
    claimed.length > 0
      ? {
          type: 'NodeConflict',
          status: 'True',
          reason: 'NodesOwnedByOlderPool',
          message: `nodes match spec.nodeSelector but belong to an older pool: ${claimed
            .slice(0, 20)
            .map((c) => `${c.node} (${c.pool})`)
            .join(', ')}${claimed.length > 20 ? ` and ${claimed.length - 20} more` : ''}`,
        }
      : {
          type: 'NodeConflict',
          status: 'False',
          reason: 'NoConflict',
          message: 'no other pool claims these nodes',
        },
    generation,
    now,
  );
  return {
    nodes: total,
    readyNodes,
    runningRuns: queue.running,
    queuedRuns: queue.queued,
    capacity: queue.capacity,
    observedGeneration: generation,
    conditions,
  };
}
