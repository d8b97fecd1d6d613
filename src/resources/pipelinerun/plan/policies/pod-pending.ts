// The attempt's pod hasn't started: Pending, with why; failed once stuck past the pending
// timeout (or the shorter grace of a missing Secret or an image that runs as root).
import { parseTime } from '../../../api.ts';
import { createdAt, hasStarted, roomShortage, stuckReason } from '../../pod-reading.ts';
import { failStuck, pendingTimeoutMs, pendingWriteDelayMs, stuckGraceMs } from '../outcomes.ts';
import { pendingStatus } from '../status.ts';
import type { Policy, RunPlan } from '../types.ts';

export const podPending: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod || hasStarted(pod)) return undefined;
  const since = createdAt(pod) ?? ctx.now;
  const stuck = stuckReason(pod, ctx.run);
  // Stuck: its own grace (none for an image that runs as root, 30 s for a missing Secret),
  // else the pending timeout.
  const timeout = stuck ? stuckGraceMs(ctx, stuck) : pendingTimeoutMs(ctx);
  // A short grace counts from when the kubelet took the pod, not from its creation: a pod that
  // waited for room still gives a Secret applied with its run the time to appear.
  const deadline =
    (stuck?.graceMs !== undefined ? (parseTime(pod.status?.startTime) ?? since) : since) + timeout;
  if (stuck && ctx.now >= deadline) return failStuck(ctx, pod, stuck);
  const waiting = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.state?.waiting?.reason)?.state?.waiting;
  // Short of room only: it waits, however long, and is never charged to retries (ADR 9).
  const shortage = stuck ? undefined : roomShortage(pod);
  const reason =
    stuck?.reason ??
    (shortage
      ? 'WaitingForRoom'
      : pod.spec?.nodeName
        ? (waiting?.reason ?? 'ContainerCreating')
        : 'Scheduling');
  const message =
    stuck?.message ??
    shortage ??
    `pod ${ctx.podName} is ${pod.spec?.nodeName ? `starting on ${pod.spec.nodeName}` : 'waiting for a node'}`;
  const status = pendingStatus(ctx, ctx.startedAt ?? since, reason, message, pod);
  // Wake up at the pending deadline. Past it, only a change of the pod (it starts, or becomes
  // visibly stuck) can change this verdict, and that change is an event: no timer, never a
  // delay of 0 (plan/requeue.test.ts, "a pod scheduled but still starting past the pending
  // timeout").
  const plan: RunPlan = { status, actions: [] };
  if (ctx.now < deadline) plan.requeueAfterMs = deadline - ctx.now;
  if (ctx.attempt === 1 && !stuck) plan.writeNotBefore = since + pendingWriteDelayMs;
  return plan;
};
