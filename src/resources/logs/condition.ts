// The run's LogsArchived condition, and how long a failed archive waits before the next try.
import type { ConditionInput } from '../api.ts';

export const logsConditionType = 'LogsArchived';

/** Why the store failed, as the condition's reason. */
const reasons = {
  unavailable: 'StoreUnavailable',
  credentials: 'StoreCredentialsRejected',
  bucket: 'BucketNotFound',
  full: 'StoreFull',
  logs: 'LogsUnreadable',
  other: 'ArchiveFailed',
} as const;

export function logsCondition(
  state: 'archived' | { kind: keyof typeof reasons; message: string; failures: number },
  attempt: number,
): ConditionInput {
  if (state === 'archived')
    return {
      type: logsConditionType,
      status: 'True',
      reason: 'Archived',
      message: `the logs of attempt ${attempt} are in the object store`,
    };
  return {
    type: logsConditionType,
    status: 'False',
    reason: reasons[state.kind],
    message: `the logs of attempt ${attempt} are not archived yet (${state.failures} tries): ${state.message}`,
  };
}

/** The condition a finished run carries when no store is configured: nothing is kept. */
export const noStoreCondition: ConditionInput = {
  type: logsConditionType,
  status: 'False',
  reason: 'NoObjectStore',
  message: 'no object store is configured: the logs live only as long as the runner pods',
};

/** 5 s after the first failure, doubling, at most 5 minutes. */
export function archiveRetryMs(failures: number): number {
  return Math.min(300_000, 5_000 * 2 ** Math.max(0, failures - 1));
}
