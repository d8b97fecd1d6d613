// The attempt's pod has ended: Succeeded (steps with onError: continue may have failed), or
// the attempt failed.
import { failureOf, finishedAt, isTerminal } from '../../pod-reading.ts';
import { stepStatuses } from '../../steps.ts';
import { end, failAttempt } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const podFinished: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod || !isTerminal(pod)) return undefined;
  if (pod.status?.phase === 'Failed') return failAttempt(ctx, failureOf(ctx.run, pod));
  const steps = stepStatuses(ctx.run, pod, undefined);
  const continued = steps.filter((s) => s.state === 'failed').map((s) => s.name);
  const message =
    continued.length === 0
      ? `all ${steps.length} steps succeeded`
      : `succeeded; step ${continued.join(', ')} failed with onError: continue`;
  const at = finishedAt(pod) ?? ctx.now;
  return end(ctx, 'Succeeded', 'Succeeded', message, [], at);
};
