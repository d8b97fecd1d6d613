// The attempt's pod name is held by a pod that claims to be the run's (controlled by it) but is
// not the pod Furrow would build: not adopted, and the attempt failed, counting against retries.
import { failAttempt } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const notAdopted: Policy = (ctx) => {
  const why = ctx.input.podNotAdopted;
  if (why === undefined || ctx.pod) return undefined;
  return failAttempt(ctx, { kind: 'job', reason: 'PodNotAdopted', message: why });
};
