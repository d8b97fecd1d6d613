// The object store as the log archive uses it, with the settings that govern it; absent when
// no store is configured (then logs live as long as the pods, and finished runs say so).
import type { ObjectStore } from '../store/object-store.ts';
import type { StoreFailure } from './archiver.ts';

export interface LogStore {
  store: ObjectStore;
  classify: (err: unknown) => StoreFailure;
  /** Attempts copied at once. */
  concurrency: number;
  /** How long a deleted pod may wait for its logs. */
  deadlineMs: number;
  /** How long logs outlive their PipelineRun. */
  retentionMs: number;
}
