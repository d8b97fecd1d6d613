// The attempt's pod name is held by a pod the run doesn't control: Pending until it is free.
import { pendingStatus } from '../status.ts';
import type { Policy } from '../types.ts';

/** How often a run whose pod name is taken looks again. */
const nameTakenRecheckMs = 10_000;

export const nameTaken: Policy = (ctx) => {
  const why = ctx.input.podNameTaken;
  if (why === undefined || ctx.pod) return undefined;
  const message = `${why}; waiting for the name to be free`;
  return {
    status: pendingStatus(ctx, ctx.startedAt ?? ctx.now, 'PodNameTaken', message),
    actions: [],
    requeueAfterMs: nameTakenRecheckMs,
  };
};
