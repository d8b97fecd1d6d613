// A run in a final phase stays as it is: its pods are stopped, and it is deleted once its
// ttlSecondsAfterFinished (the run's, its pool's, the operator's default) has passed.
import { finalPhases, parseTime } from '../../../api.ts';
import { stopPods } from '../outcomes.ts';
import type { Policy, RunAction } from '../types.ts';

export const finished: Policy = (ctx) => {
  if (!ctx.old.phase || !finalPhases.has(ctx.old.phase)) return undefined;
  const actions: RunAction[] = stopPods(ctx, 'the run has finished');
  const { run, input } = ctx;
  const ttl =
    run.spec.ttlSecondsAfterFinished ??
    input.pool?.spec.runner?.ttlSecondsAfterFinished ??
    input.config.defaultTtlSeconds;
  let requeueAfterMs: number | undefined;
  if (ttl !== undefined) {
    const dueAt = (parseTime(ctx.old.completionTime) ?? ctx.now) + ttl * 1000;
    if (ctx.now >= dueAt)
      actions.push({ type: 'deleteRun', why: `ttlSecondsAfterFinished (${ttl}s) passed` });
    else requeueAfterMs = dueAt - ctx.now;
  }
  return { status: ctx.old, actions, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
};
