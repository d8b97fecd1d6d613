// The status a plan writes, built in one place: statusFor. Everything else here feeds it: the
// generation a status speaks for, the Admitted verdict, the attempt records.
import type { Pod } from '../../../kube/json.ts';
import {
  defined,
  finalPhases,
  formatTime,
  generationAnnotation,
  setCondition,
  type ConditionInput,
} from '../../api.ts';
import type { AttemptStatus, PipelineRunPhase, PipelineRunStatus } from '../../types.ts';
import { createdAt, hasStarted } from '../pod-reading.ts';
import { noStoreCondition } from '../../logs/condition.ts';
import { stepStatuses } from '../steps.ts';
import type { Context } from './types.ts';

/** The status's own fields; conditions are statusFor's to set. */
export type StatusFields = Omit<PipelineRunStatus, 'conditions' | 'phase' | 'reason' | 'message'> & {
  phase: PipelineRunPhase;
  reason: string;
  message: string;
  /** The generation the status, and the conditions it sets, speak for. */
  observedGeneration: number;
};

type Verdict = Omit<ConditionInput, 'type'>;

interface ConditionsFor {
  /** The Admitted condition to set first; absent: left as it is. */
  admitted?: Verdict;
  /** The Succeeded condition's reason and message, when they aren't the status's own. */
  succeeded?: { reason?: string; message?: string };
}

/**
 * The run's status as last written, with `fields` over it and undefined fields dropped. The
 * Succeeded condition follows the phase: Unknown while the run goes on, True or False once it
 * has ended.
 */
export function statusFor(
  ctx: Context,
  fields: StatusFields,
  conditionsFor: ConditionsFor = {},
): PipelineRunStatus {
  const { phase, reason, message, ...rest } = fields;
  const { observedGeneration } = rest;
  const { admitted, succeeded } = conditionsFor;
  const status = !finalPhases.has(phase) ? 'Unknown' : phase === 'Succeeded' ? 'True' : 'False';
  let conditions = ctx.old.conditions;
  if (admitted)
    conditions = setCondition(conditions, { type: 'Admitted', ...admitted }, observedGeneration, ctx.now);
  conditions = setCondition(
    conditions,
    {
      type: 'Succeeded',
      status,
      reason: succeeded?.reason ?? reason,
      message: succeeded?.message ?? message,
    },
    observedGeneration,
    ctx.now,
  );
  // Without an object store nothing outlives the pods: a finished run says so (in the write
  // that finishes it, so it costs nothing).
  if (finalPhases.has(phase) && !ctx.input.config.archiveLogs)
    conditions = setCondition(conditions, noStoreCondition, observedGeneration, ctx.now);
  return defined({ ...ctx.old, phase, reason, message, conditions, ...rest });
}

/** The generation the attempt's pod was built from (the run's, before it has a pod). */
export function observedGeneration(ctx: Context): number {
  const fromPod = Number(ctx.pod?.metadata?.annotations?.[generationAnnotation]);
  return Number.isInteger(fromPod) && fromPod > 0 ? fromPod : ctx.generation;
}

/** The Admitted verdict of a run that has started. */
export function admittedTrue(ctx: Context): Verdict {
  return { status: 'True', reason: 'Admitted', message: `admitted to NodePool ${ctx.run.spec.pool}` };
}

/** The status while the attempt's pod is on its way: not started, or not yet running. */
export function pendingStatus(
  ctx: Context,
  startedAt: number,
  reason: string,
  message: string,
  pod?: Pod,
): PipelineRunStatus {
  return statusFor(
    ctx,
    {
      phase: 'Pending',
      reason,
      message,
      podName: ctx.podName,
      nodeName: pod?.spec?.nodeName,
      startTime: formatTime(startedAt),
      attempt: ctx.attempt,
      currentStep: undefined,
      queuePosition: undefined,
      observedGeneration: observedGeneration(ctx),
      steps: stepStatuses(ctx.run, pod, undefined),
      attempts: upsertAttempt(ctx.old.attempts, attemptRecord(ctx, pod)),
    },
    { admitted: admittedTrue(ctx), succeeded: { reason: 'Pending' } },
  );
}

/** The attempt's record in status.attempts: open, or closed with how it ended. */
export function attemptRecord(
  ctx: Context,
  pod: Pod | undefined,
  ended?: { phase: PipelineRunPhase; reason: string; message: string; at: number; counts: boolean },
): AttemptStatus {
  const created = pod ? createdAt(pod) : undefined;
  const previous = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt);
  return defined({
    attempt: ctx.attempt,
    podName: ctx.podName,
    nodeName: pod?.spec?.nodeName ?? previous?.nodeName,
    startTime: created !== undefined ? formatTime(created) : previous?.startTime,
    ...(ended
      ? {
          completionTime: formatTime(ended.at),
          phase: ended.phase,
          reason: ended.reason,
          message: ended.message,
          ...(ended.phase === 'Failed' ? { countsAgainstLimit: ended.counts } : {}),
        }
      : { phase: hasStarted(pod ?? {}) ? ('Running' as const) : ('Pending' as const) }),
  });
}

/** `list` with `record` in it (replacing the same attempt's), in attempt order. */
export function upsertAttempt(list: AttemptStatus[] | undefined, record: AttemptStatus): AttemptStatus[] {
  const others = (list ?? []).filter((a) => a.attempt !== record.attempt);
  return [...others, record].sort((a, b) => a.attempt - b.attempt);
}
