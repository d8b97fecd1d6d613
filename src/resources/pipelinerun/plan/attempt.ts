// Which attempt is in play, and its pod. The attempt number is derived from the run's status
// and the pods that exist, never from memory, so a restarted operator or a new leader finds
// the same attempt, even when the status and the pods disagree.
import type { Pod } from '../../../kube/json.ts';
import { parseTime } from '../../api.ts';
import { runnerPodName } from '../../runner-pod/naming.ts';
import type { PipelineRunStatus } from '../../types.ts';
import { createdAt, isTerminal } from '../pod-reading.ts';
import type { Attempt } from './types.ts';

export function attemptInPlay(runName: string, old: PipelineRunStatus, pods: Pod[]): Attempt {
  const podOf = (k: number) => pods.find((p) => p.metadata?.name === runnerPodName(runName, k));
  const recorded = old.attempt ?? 0;
  const record = old.attempts?.find((a) => a.attempt === recorded);
  let attempt = recorded === 0 ? 1 : record?.completionTime ? recorded + 1 : recorded;
  // A pod of a later attempt exists when its creation landed but the status write after it
  // didn't (an operator restart in between): carry on with it (plan/retries.test.ts, "a pod of
  // a later attempt than the status says").
  for (let k = attempt + 1; podOf(k); k++) attempt = k;
  // A pod of an earlier attempt that no record closes (alive, or with its attempt on record)
  // is the attempt in play: a status whose attempt number runs ahead of the pods (written by
  // hand, restored from an old backup) must not start a second pod beside a running one
  // (plan/foreign.test.ts, "an attempt number ahead of the pods").
  for (let k = attempt - 1; k >= 1; k--) {
    const earlier = podOf(k);
    const kept = old.attempts?.find((a) => a.attempt === k);
    const alive = earlier && !isTerminal(earlier) && !earlier.metadata?.deletionTimestamp;
    if (earlier && !kept?.completionTime && (alive || kept)) {
      attempt = k;
      break;
    }
  }
  const podName = runnerPodName(runName, attempt);
  const firstPod = podOf(1);
  return {
    attempt,
    podName,
    pod: podOf(attempt),
    attemptRecorded: old.attempt === attempt && old.podName === podName && !record?.completionTime,
    startedAt: parseTime(old.startTime) ?? (firstPod ? createdAt(firstPod) : undefined),
  };
}
