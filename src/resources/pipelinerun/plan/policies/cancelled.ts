// spec.cancelled ends the run Cancelled and stops its pods, whatever state it is in.
import { end, stopPods } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const cancelled: Policy = (ctx) => {
  if (ctx.run.spec.cancelled !== true) return undefined;
  return end(
    ctx,
    'Cancelled',
    'Cancelled',
    'cancelled: spec.cancelled is true',
    stopPods(ctx, 'the run was cancelled'),
  );
};
