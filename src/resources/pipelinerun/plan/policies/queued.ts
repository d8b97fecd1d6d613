// The pool can't start the run yet: Queued, with its place in the pool's queue.
import { started } from '../outcomes.ts';
import { statusFor } from '../status.ts';
import type { Policy } from '../types.ts';

export const queued: Policy = (ctx) => {
  const { admission } = ctx.input;
  if (admission.state !== 'queued' || started(ctx)) return undefined;
  const status = statusFor(
    ctx,
    {
      phase: 'Queued',
      reason: admission.reason,
      message: admission.message,
      queuePosition: admission.position,
      observedGeneration: ctx.generation,
    },
    {
      admitted: { status: 'False', reason: admission.reason, message: admission.message },
      succeeded: { reason: 'Queued', message: 'waiting for the pool to admit the run' },
    },
  );
  return { status, actions: [] };
};
