// What the run's NodePool says about starting it. Computed from cluster state by the pool's
// admission queue (src/resources/nodepool/queue.ts); the run's plan only reads it.

export type QueueReason = 'PoolNotFound' | 'PoolAtCapacity' | 'NoReadyNodes';

export type Admission =
  | { state: 'admitted' }
  | { state: 'queued'; reason: QueueReason; message: string; position?: number }
  | { state: 'refused'; reason: 'PoolNotAllowed'; message: string };
