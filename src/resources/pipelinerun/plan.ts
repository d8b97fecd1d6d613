// run + pool + pods + admission + clock → the status the run should have and what to do.
// Pure. A chain of policies, as cert-manager's: each looks at the run and either decides
// (returns a plan) or passes to the next. Their order is the precedence of the rules.
// Everything is derived from cluster state (the run's spec and status, its pods), never from
// memory, so a restarted operator or a new leader decides the same.
import { planContext } from './plan/context.ts';
import { cancelled } from './plan/policies/cancelled.ts';
import { finished } from './plan/policies/finished.ts';
import { invalid } from './plan/policies/invalid.ts';
import { nameTaken } from './plan/policies/name-taken.ts';
import { notAdopted } from './plan/policies/not-adopted.ts';
import { noPodYet } from './plan/policies/no-pod-yet.ts';
import { podFinished } from './plan/policies/pod-finished.ts';
import { podGone } from './plan/policies/pod-gone.ts';
import { podPending } from './plan/policies/pod-pending.ts';
import { podRunning } from './plan/policies/pod-running.ts';
import { queued } from './plan/policies/queued.ts';
import { refused } from './plan/policies/refused.ts';
import { rejected } from './plan/policies/rejected.ts';
import { timedOut } from './plan/policies/timed-out.ts';
import type { Policy, RunInput, RunPlan } from './plan/types.ts';

export type { PlanConfig, RunAction, RunInput, RunPlan } from './plan/types.ts';

/** The policies, in order: the first that decides makes the plan. */
const policies: readonly Policy[] = [
  finished, //    a final phase stays; pods stopped, the run deleted after its TTL
  invalid, //     an invalid spec fails a run that hasn't started
  rejected, //    the API server refused the attempt's pod: the attempt failed
  nameTaken, //   the pod's name is held by another's pod: Pending until it's free
  notAdopted, //  the pod's name is held by a pod claiming to be the run's, built otherwise: failed
  cancelled, //   spec.cancelled: Cancelled, pods stopped
  refused, //     the pool refuses the run: Failed, if it hasn't started
  queued, //      the pool can't start it yet: Queued, with its position
  timedOut, //    spec.timeout passed since admission: TimedOut, pods stopped
  noPodYet, //    the attempt has no pod: it vanished (attempt failed), or create it
  podGone, //     the attempt's pod is being deleted by someone else: attempt failed
  podFinished, // the attempt's pod ended: Succeeded, or the attempt failed
  podPending, //  the attempt's pod hasn't started: Pending, or failed when stuck
  podRunning, //  the attempt's pod runs: Running; step timeouts and stuck images backed up
];

export function planRun(input: RunInput): RunPlan {
  const ctx = planContext(input);
  for (const policy of policies) {
    const plan = policy(ctx);
    if (plan) return plan;
  }
  throw new Error('no policy decided');
}
