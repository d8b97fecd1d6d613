// The attempt's pod is being deleted before it finished: the attempt failed, not counted
// against retries.limit.
import { isTerminal } from '../../pod-reading.ts';
import { failAttempt } from '../outcomes.ts';
import type { Policy } from '../types.ts';

export const podGone: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod?.metadata?.deletionTimestamp || isTerminal(pod)) return undefined;
  // Furrow deletes a live pod only after the attempt has ended in status, so this deletion
  // came from elsewhere: an admin, a drain, the pod garbage collector of a vanished node.
  return failAttempt(ctx, {
    kind: 'infrastructure',
    reason: 'PodDeleted',
    message: `pod ${ctx.podName} was deleted before it finished`,
  });
};
