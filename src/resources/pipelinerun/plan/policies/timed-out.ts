// The run's spec.timeout, counted from its admission, has passed: TimedOut, its pods stopped.
import { finishedAt, isTerminal } from '../../pod-reading.ts';
import { defaultTimeout } from '../context.ts';
import { end, stopPods } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const timedOut: Policy = (ctx) => {
  if (ctx.startedAt === undefined || ctx.now < ctx.startedAt + ctx.timeoutMs) return undefined;
  // A pod that ended before the deadline, seen only after it, decides the run: not a timeout.
  const ended = ctx.pod && isTerminal(ctx.pod) ? finishedAt(ctx.pod) : undefined;
  if (ended !== undefined && ended <= ctx.startedAt + ctx.timeoutMs) return undefined;
  const timeout = ctx.run.spec.timeout ?? defaultTimeout;
  return end(
    ctx,
    'TimedOut',
    'TimedOut',
    `the run did not finish within its timeout of ${timeout}`,
    stopPods(ctx, 'the run timed out'),
  );
};
