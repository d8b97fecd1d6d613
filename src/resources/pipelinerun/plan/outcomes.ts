// How policies end an attempt or the run: the building blocks their plans share.
import type { Pod } from '../../../kube/json.ts';
import { formatDuration, parseDuration } from '../../duration.ts';
import { stopGracePeriodSeconds } from '../../runner-pod/constants.ts';
import type { AttemptStatus, PipelineRunPhase, StepStatus } from '../../types.ts';
import { formatTime } from '../../api.ts';
import type { Failure } from '../pod-reading.ts';
import { currentStep, stepStatuses } from '../steps.ts';
import { admittedTrue, attemptRecord, observedGeneration, statusFor, upsertAttempt } from './status.ts';
import type { Context, RunAction, RunPlan } from './types.ts';

/** How long a fresh first pod may stay Pending before the status says so. */
export const pendingWriteDelayMs = 2000;
const defaultBackoff = '10s';
const maxBackoffMs = 3_600_000;

/** The run has been admitted once: it has (or had) a pod. */
export function started(ctx: Context): boolean {
  return ctx.startedAt !== undefined || ctx.old.attempt !== undefined || ctx.input.pods.length > 0;
}

/** Delete every live pod of the run, with the grace its steps get to stop. */
export function stopPods(ctx: Context, why: string): RunAction[] {
  return ctx.livePods.map((pod) => ({
    type: 'deletePod',
    pod,
    gracePeriodSeconds: stopGracePeriodSeconds,
    why,
  }));
}

/** How long a pod may stay stuck: the pool's runner.pendingTimeout, else the operator's default. */
export function pendingTimeoutMs(ctx: Context): number {
  const fromPool = ctx.input.pool?.spec.runner?.pendingTimeout;
  return (
    (fromPool !== undefined ? parseDuration(fromPool) : undefined) ?? ctx.input.config.defaultPendingTimeoutMs
  );
}

/** How long a pod may stay stuck this way: the failure's own grace, else the pending timeout. */
export function stuckGraceMs(ctx: Context, stuck: Failure): number {
  return stuck.graceMs ?? pendingTimeoutMs(ctx);
}

/** A pod stuck (unschedulable, an image it can't pull, a missing Secret) past its grace: give up on it. */
export function failStuck(ctx: Context, pod: Pod, stuck: Failure): RunPlan {
  const grace = stuckGraceMs(ctx, stuck);
  const { graceMs: _, ...failure } = stuck;
  const waited = grace > 0 ? ` (pending for more than ${formatDuration(grace)})` : '';
  return failAttempt(ctx, { ...failure, message: `${stuck.message}${waited}` }, [
    { type: 'deletePod', pod, gracePeriodSeconds: 0, why: stuck.reason },
  ]);
}

/** The wait before the attempt after `failed`: none after an infrastructure failure, else backing off. */
export function retryDelayMs(ctx: Context, failed: AttemptStatus): number {
  if (failed.countsAgainstLimit === false) return 0;
  const counted = (ctx.old.attempts ?? []).filter(
    (a) => a.countsAgainstLimit !== false && a.completionTime,
  ).length;
  const base = parseDuration(ctx.run.spec.retries?.backoff ?? defaultBackoff) ?? 10_000;
  return Math.min(maxBackoffMs, base * 2 ** Math.max(0, counted - 1));
}

/** The current attempt failed: retry it if the limits allow, or end the run Failed. */
export function failAttempt(
  ctx: Context,
  failure: Failure,
  actions: RunAction[] = [],
  steps = stepStatuses(ctx.run, ctx.pod, failure.reason),
): RunPlan {
  const pod = ctx.pod;
  const record = attemptRecord(ctx, pod, {
    phase: 'Failed',
    reason: failure.reason,
    message: failure.message,
    at: ctx.now,
    counts: failure.kind === 'job',
  });
  const attempts = upsertAttempt(ctx.old.attempts, record);
  const jobFailures = attempts.filter((a) => a.countsAgainstLimit === true).length;
  const infraFailures = attempts.filter((a) => a.countsAgainstLimit === false).length;
  const limit = ctx.run.spec.retries?.limit ?? 0;
  const canRetry =
    failure.kind === 'job'
      ? jobFailures <= limit
      : infraFailures <= ctx.input.config.maxInfrastructureRetries;
  const withHistory: Context = { ...ctx, old: { ...ctx.old, attempts } };
  if (!canRetry) {
    const gaveUp =
      failure.kind === 'job'
        ? limit > 0
          ? ` (after ${jobFailures} attempts)`
          : ''
        : ` (gave up after ${infraFailures} infrastructure failures)`;
    return end(withHistory, 'Failed', failure.reason, failure.message + gaveUp, actions, ctx.now, steps);
  }
  const delay = retryDelayMs(withHistory, record);
  const message = `attempt ${ctx.attempt} failed: ${failure.message}; attempt ${ctx.attempt + 1} starts ${delay > 0 ? `in ${formatDuration(delay)}` : 'now'}`;
  // The queue position, if any, is left as it was.
  const status = statusFor(
    ctx,
    {
      phase: 'Pending',
      reason: 'Retrying',
      message,
      podName: ctx.podName,
      nodeName: pod?.spec?.nodeName ?? ctx.old.nodeName,
      startTime: formatTime(ctx.startedAt ?? ctx.now),
      attempt: ctx.attempt,
      currentStep: undefined,
      observedGeneration: observedGeneration(ctx),
      steps,
      attempts,
    },
    { admitted: admittedTrue(ctx) },
  );
  return { status, actions, requeueAfterMs: delay };
}

/** A final status. Steps that didn't finish are skipped; the current attempt is closed. */
export function end(
  ctx: Context,
  phase: PipelineRunPhase,
  reason: string,
  message: string,
  actions: RunAction[],
  at: number = ctx.now,
  steps: StepStatus[] = stepStatuses(ctx.run, ctx.pod, phase === 'Succeeded' ? undefined : reason),
): RunPlan {
  // A cancellation acts on the generation that set spec.cancelled, not the pod's.
  const ownVerdict = started(ctx) && phase !== 'Cancelled';
  const attemptOpen = ctx.pod !== undefined || ctx.attemptRecorded;
  const attempts = attemptOpen
    ? upsertAttempt(
        ctx.old.attempts,
        ctx.old.attempts?.find((a) => a.attempt === ctx.attempt && a.completionTime) ??
          attemptRecord(ctx, ctx.pod, { phase, reason, message, at, counts: phase === 'Failed' }),
      )
    : ctx.old.attempts;
  const status = statusFor(
    ctx,
    {
      phase,
      reason,
      message,
      podName: attemptOpen ? ctx.podName : ctx.old.podName,
      nodeName: ctx.pod?.spec?.nodeName ?? ctx.old.nodeName,
      startTime: ctx.startedAt !== undefined ? formatTime(ctx.startedAt) : undefined,
      completionTime: formatTime(at),
      duration: ctx.startedAt !== undefined ? formatDuration(Math.max(0, at - ctx.startedAt)) : undefined,
      attempt: attemptOpen ? ctx.attempt : ctx.old.attempt,
      currentStep: currentStep(steps),
      queuePosition: undefined,
      observedGeneration: ownVerdict ? observedGeneration(ctx) : ctx.generation,
      steps: started(ctx) ? steps : undefined,
      attempts,
    },
    ownVerdict ? { admitted: admittedTrue(ctx) } : {},
  );
  return { status, actions };
}
