// A spec the operator's validator refuses fails the run, unless the run has already started.
import { end, started } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const invalid: Policy = (ctx) => {
  const why = ctx.input.invalidSpec;
  if (why === undefined || started(ctx)) return undefined;
  return end(ctx, 'Failed', 'InvalidSpec', `the spec is invalid: ${why}`, []);
};
