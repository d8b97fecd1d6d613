// The API server refused the attempt's pod: the attempt failed, and counts against retries.
import { failAttempt } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const rejected: Policy = (ctx) => {
  const why = ctx.input.podRejected;
  if (why === undefined || ctx.pod) return undefined;
  return failAttempt(ctx, {
    kind: 'job',
    reason: 'PodRejected',
    message: `the API server refused pod ${ctx.podName}: ${why}`,
  });
};
