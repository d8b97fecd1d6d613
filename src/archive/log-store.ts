// The object store as the log archive uses it, with the settings that govern it; absent when
// no store is configured (then logs live as long as the pods, and finished runs say so).
import type { Options } from '../config/options.ts';
import { createObjectStore } from '../store/create.ts';
import { classifyStoreError } from '../store/errors.ts';
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

/** The log store the options configure; undefined without a bucket. */
export function logStoreFrom(options: Options): LogStore | undefined {
  const store = createObjectStore(options);
  if (!store) return undefined;
  return {
    store,
    classify: (err) => {
      const c = classifyStoreError(err);
      // An aborted copy (the replica stopped leading) is tried again like any other failure.
      return { kind: c.kind === 'aborted' ? 'other' : c.kind, message: c.message };
    },
    concurrency: options.archiveConcurrency,
    deadlineMs: options.archiveDeadlineMs,
    retentionMs: options.logRetentionMs,
  };
}
