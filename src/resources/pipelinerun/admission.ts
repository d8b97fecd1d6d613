// What the run's NodePool says about starting it. Computed from cluster state by the pool's
// admission queue (src/resources/nodepool/queue.ts); the run's plan only reads it.

export type QueueReason = 'PoolNotFound' | 'PoolAtCapacity' | 'NoReadyNodes';

/** Why a pool will never run it: its namespace isn't admitted, or no member node is big enough. */
export type RefusalReason = 'PoolNotAllowed' | 'RequestsExceedNodes';

export type Admission =
  /** `node`: the node whose room the run takes, when the pool limits runs per node (its pod is
   * pinned there, so that the scheduler can't put a second run on a full node). */
  | { state: 'admitted'; node?: string }
  | { state: 'queued'; reason: QueueReason; message: string; position?: number }
  | { state: 'refused'; reason: RefusalReason; message: string };
