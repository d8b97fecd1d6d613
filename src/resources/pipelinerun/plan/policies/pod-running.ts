// The attempt's pod is running: Running, with the current step. The operator backs up the
// step wrappers' timeouts and fails a later container stuck on its image.
import { formatTime, parseTime } from '../../../api.ts';
import { parseDuration } from '../../../duration.ts';
import { stopGracePeriodSeconds } from '../../../runner-pod/constants.ts';
import type { StepStatus } from '../../../types.ts';
import { createdAt, lastContainerChange, stuckReason } from '../../pod-reading.ts';
import { currentStep, stepStatuses } from '../../steps.ts';
import { failAttempt, failStuck, stuckGraceMs } from '../outcomes.ts';
import { admittedTrue, attemptRecord, observedGeneration, statusFor, upsertAttempt } from '../status.ts';
import type { Policy } from '../types.ts';

/** The operator stops a step this long after its timeout if the step's own wrapper didn't. */
export const stepTimeoutGraceMs = 30_000;

export const podRunning: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod) return undefined;
  const steps = stepStatuses(ctx.run, pod, undefined);
  // Backstop for step timeouts: the step's wrapper should have stopped it; if it didn't
  // (no shell in the image, a hung wrapper), the operator ends the attempt.
  let nextCheck = ctx.startedAt !== undefined ? ctx.startedAt + ctx.timeoutMs - ctx.now : undefined;
  for (const step of ctx.run.spec.steps) {
    const s = steps.find((x) => x.name === step.name);
    const limit = step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
    const began = parseTime(s?.startedAt);
    if (s?.state !== 'running' || limit === undefined || began === undefined) continue;
    const stopAt = began + limit + stepTimeoutGraceMs;
    if (ctx.now >= stopAt) {
      // The step failed, as if its wrapper had stopped it; the steps after it are skipped.
      const timedOut: StepStatus = {
        ...s,
        state: 'failed',
        reason: 'TimedOut',
        message: `ran longer than its timeout (${step.timeout ?? ''})`,
      };
      return failAttempt(
        ctx,
        {
          kind: 'job',
          reason: 'StepTimedOut',
          message: `step ${step.name} ran longer than its timeout (${step.timeout ?? ''})`,
        },
        [{ type: 'deletePod', pod, gracePeriodSeconds: stopGracePeriodSeconds, why: 'step timed out' }],
        stepStatuses(ctx.run, pod, 'StepTimedOut').map((x) => (x.name === step.name ? timedOut : x)),
      );
    }
    nextCheck = Math.min(nextCheck ?? Infinity, stopAt - ctx.now);
  }
  // Each container's image is pulled when its turn comes, so a later step (or a second
  // service) can be stuck on its image (or a missing Secret) too: since the kubelet moved on to
  // it, at the latest.
  const stuck = stuckReason(pod, ctx.run);
  if (stuck) {
    const stuckAt = (lastContainerChange(pod) ?? createdAt(pod) ?? ctx.now) + stuckGraceMs(ctx, stuck);
    if (ctx.now >= stuckAt) return failStuck(ctx, pod, stuck);
    nextCheck = Math.min(nextCheck ?? Infinity, stuckAt - ctx.now);
  }
  const running = currentStep(steps);
  const status = statusFor(
    ctx,
    {
      phase: 'Running',
      reason: 'Running',
      message: running ? `step ${running} is running` : `pod ${ctx.podName} is running`,
      podName: ctx.podName,
      nodeName: pod.spec?.nodeName,
      startTime: formatTime(ctx.startedAt ?? createdAt(pod) ?? ctx.now),
      attempt: ctx.attempt,
      currentStep: running,
      queuePosition: undefined,
      observedGeneration: observedGeneration(ctx),
      steps,
      attempts: upsertAttempt(ctx.old.attempts, attemptRecord(ctx, pod)),
    },
    {
      admitted: admittedTrue(ctx),
      succeeded: { message: running ? `step ${running} is running` : 'the runner pod is running' },
    },
  );
  return {
    status,
    actions: [],
    ...(nextCheck !== undefined ? { requeueAfterMs: Math.max(0, nextCheck) } : {}),
  };
};
