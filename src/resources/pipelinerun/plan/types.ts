// What planRun takes and gives, and what its policies share: the Context derived once from the
// input, and the Policy signature.
import type { Pod } from '../../../kube/json.ts';
import type { Admission } from '../../api.ts';
import type { NodePool, PipelineRun, PipelineRunStatus } from '../../types.ts';

export interface PlanConfig {
  defaultTtlSeconds: number | undefined;
  defaultPendingTimeoutMs: number;
  maxInfrastructureRetries: number;
  gitImage: string;
  /** An object store is configured: pods carry the logs finalizer and logs are archived. */
  archiveLogs?: boolean;
}

export interface RunInput {
  run: PipelineRun;
  pool: NodePool | undefined;
  /** Pods this run controls, of any attempt. */
  pods: Pod[];
  admission: Admission;
  now: number;
  config: PlanConfig;
  /**
   * Why the spec is unusable, when the operator's validator refuses it (an object stored
   * before the CRD's schema tightened, or a CRD installed without validation).
   */
  invalidSpec?: string;
  /** The API server refused the attempt's pod (admission, validation): why, in its words. */
  podRejected?: string;
  /**
   * The attempt's pod name is held by a pod this run doesn't control (a previous run of the
   * same name not yet collected, or someone else's pod): why.
   */
  podNameTaken?: string;
  /**
   * The attempt's pod name is held by a pod that the run controls but whose spec differs from
   * the one Furrow would build (podSpecDifferences): why.
   */
  podNotAdopted?: string;
}

export type RunAction =
  | { type: 'createPod'; pod: Pod; attempt: number }
  | { type: 'deletePod'; pod: Pod; gracePeriodSeconds: number; why: string }
  | { type: 'deleteRun'; why: string };

export interface RunPlan {
  status: PipelineRunStatus;
  actions: RunAction[];
  /** Reconcile again after this long even if nothing changes (a deadline, a backoff). */
  requeueAfterMs?: number;
  /**
   * The status is transitional: write it only if it still holds at this time. A pod that
   * starts within a second or two then costs no "Pending" write (the happy path's budget is
   * one pod and two status writes).
   */
  writeNotBefore?: number;
}

/** The attempt in play, as attempt.ts derives it from the run's status and its pods. */
export interface Attempt {
  /** The current attempt, or the next when the last has ended. */
  attempt: number;
  podName: string;
  pod: Pod | undefined;
  /** The attempt was recorded in status as started (its pod existed). */
  attemptRecorded: boolean;
  /** When the run was admitted (its first pod was created); undefined before. */
  startedAt: number | undefined;
}

export interface Context extends Attempt {
  input: RunInput;
  run: PipelineRun;
  old: PipelineRunStatus;
  now: number;
  generation: number;
  timeoutMs: number;
  livePods: Pod[];
}

/** Looks at the run and either decides (returns a plan) or passes to the next policy. */
export type Policy = (ctx: Context) => RunPlan | undefined;
