// The attempt has no pod: it disappeared (the attempt failed), or it is due (after the retry
// backoff, once the pool exists): create it.
import { parseTime } from '../../../api.ts';
import { buildRunnerPod } from '../../../runner-pod/build.ts';
import { failAttempt, pendingTimeoutMs, pendingWriteDelayMs, retryDelayMs } from '../outcomes.ts';
import { pendingStatus } from '../status.ts';
import type { Policy } from '../types.ts';

export const noPodYet: Policy = (ctx) => {
  if (ctx.pod) return undefined;
  // Only a pod the status has seen (its creation time is in the attempt's record) can have
  // disappeared. A retry's status is written right after its pod is created, and the pod may
  // reach the informer's cache after the run's own update does: then it is created again,
  // the API server answers AlreadyExists, and the controller adopts it (plan/retries.test.ts,
  // "attempt 2’s pod created but not yet in the cache").
  const seen = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt)?.startTime !== undefined;
  if (ctx.attemptRecorded && seen) {
    return failAttempt(ctx, {
      kind: 'infrastructure',
      reason: 'PodDeleted',
      message: `pod ${ctx.podName} disappeared before it finished (deleted by someone else, or its node went away)`,
    });
  }
  const previous = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt - 1);
  if (previous?.completionTime) {
    const startAt = (parseTime(previous.completionTime) ?? ctx.now) + retryDelayMs(ctx, previous);
    if (ctx.now < startAt) return { status: ctx.old, actions: [], requeueAfterMs: startAt - ctx.now };
  }
  const pool = ctx.input.pool;
  if (!pool) {
    // A retry whose pool was deleted meanwhile: wait for it to come back.
    const status = {
      ...ctx.old,
      phase: 'Pending' as const,
      reason: 'PoolNotFound',
      message: `NodePool ${ctx.run.spec.pool} does not exist`,
    };
    return { status, actions: [] };
  }
  const startedAt = ctx.startedAt ?? ctx.now;
  const pod = buildRunnerPod({
    run: ctx.run,
    pool,
    attempt: ctx.attempt,
    remainingMs: startedAt + ctx.timeoutMs - ctx.now,
    gitImage: ctx.input.config.gitImage,
    archiveLogs: ctx.input.config.archiveLogs,
    ...(ctx.input.admission.state === 'admitted' && ctx.input.admission.node !== undefined
      ? { node: ctx.input.admission.node }
      : {}),
  });
  const status = pendingStatus(
    ctx,
    startedAt,
    'Starting',
    `created pod ${ctx.podName} on pool ${pool.metadata.name ?? ''}`,
  );
  return {
    status,
    actions: [{ type: 'createPod', pod, attempt: ctx.attempt }],
    requeueAfterMs: pendingTimeoutMs(ctx),
    // Only the first attempt's Pending is worth deferring; a retry's new attempt is news.
    ...(ctx.attempt === 1 ? { writeNotBefore: ctx.now + pendingWriteDelayMs } : {}),
  };
};
