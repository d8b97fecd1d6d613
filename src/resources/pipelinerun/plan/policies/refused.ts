// The pool refuses the run (it may not use the pool): Admitted=False and the run fails, unless
// it has already started.
import { setCondition } from '../../../api.ts';
import { end, started } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const refused: Policy = (ctx) => {
  const { admission } = ctx.input;
  if (admission.state !== 'refused' || started(ctx)) return undefined;
  const conditions = setCondition(
    ctx.old.conditions,
    { type: 'Admitted', status: 'False', reason: admission.reason, message: admission.message },
    ctx.generation,
    ctx.now,
  );
  const old = { ...ctx.old, conditions, queuePosition: undefined };
  return end({ ...ctx, old }, 'Failed', admission.reason, admission.message, []);
};
