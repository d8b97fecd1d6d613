// What the log archiver should do with a runner pod, decided from the pod alone: pure, so the
// order of the rules is tested as a table (test/unit/resources/logs/archive-plan.test.ts).
//
// A runner pod created while an object store is configured carries the logs finalizer. Its
// logs are copied once every container has stopped, whoever stopped it: the pod finished, or
// someone (Furrow cancelling or timing out a run, the garbage collector, a user) deleted it and
// the kubelet killed its containers. A pod being deleted keeps its finalizer until the copy is
// complete, or until the archive deadline after its deletion, so a store that is down for long
// delays a deletion but never keeps a pod forever.
import type { Pod } from '../../kube/json.ts';
import { controllingRun, logsFinalizer, parseTime } from '../api.ts';
import { attemptLabel } from '../labels.ts';
import { checkoutContainer } from '../runner-pod/constants.ts';
import type { ContainerRole, RunLogRef } from './keys.ts';

export interface LogContainer {
  name: string;
  role: ContainerRole;
  /** Its place in the archive: checkout, the steps in order, then the services. */
  ordinal: number;
}

export type ArchiveDecision =
  /** Nothing to do: no finalizer, or archived and not being deleted. */
  | { action: 'none' }
  /** A container still runs: wait for the pod's next change (or look again after recheckMs). */
  | { action: 'wait'; recheckMs?: number }
  | { action: 'archive' }
  /** Remove the finalizer: archived, no store, or the deadline passed (`late`). */
  | { action: 'release'; late: boolean };

export interface ArchiveInput {
  pod: Pod;
  /** The attempt's archive is complete (its manifest exists). */
  archived: boolean;
  storeConfigured: boolean;
  now: number;
  /** How long after its deletion a pod may wait for its logs. */
  deadlineMs: number;
}

/** Every container of a runner pod, in the order its logs are read and shown. */
export function logContainers(pod: Pod): LogContainer[] {
  const init = pod.spec?.initContainers ?? [];
  const services = init.filter((c) => c.restartPolicy === 'Always').map((c) => c.name);
  const checkout = init.filter((c) => c.name === checkoutContainer).map((c) => c.name);
  const steps = [
    ...init.filter((c) => c.restartPolicy !== 'Always' && c.name !== checkoutContainer),
    ...(pod.spec?.containers ?? []),
  ].map((c) => c.name);
  const ordered: [string, ContainerRole][] = [
    ...checkout.map((n): [string, ContainerRole] => [n, 'checkout']),
    ...steps.map((n): [string, ContainerRole] => [n, 'step']),
    ...services.map((n): [string, ContainerRole] => [n, 'service']),
  ];
  return ordered.map(([name, role], ordinal) => ({ name, role, ordinal }));
}

/** The run and attempt a runner pod's logs belong to; undefined for a pod that isn't one. */
export function podLogRef(pod: Pod): (RunLogRef & { attempt: number }) | undefined {
  const owner = controllingRun(pod);
  const namespace = pod.metadata?.namespace;
  const attempt = Number(pod.metadata?.labels?.[attemptLabel]);
  if (!owner || !namespace || !Number.isInteger(attempt) || attempt < 1) return undefined;
  return { namespace, name: owner.name, uid: owner.uid, attempt };
}

/** No container of the pod is running, or will start: its logs are final. */
export function logsFinal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  if (!pod.metadata?.deletionTimestamp) return false;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses.every((c) => c.state?.running === undefined);
}

export function hasLogsFinalizer(pod: Pod): boolean {
  return pod.metadata?.finalizers?.includes(logsFinalizer) ?? false;
}

// The rules, first match wins.
export function decideArchive({
  pod,
  archived,
  storeConfigured,
  now,
  deadlineMs,
}: ArchiveInput): ArchiveDecision {
  const deleting = parseTime(pod.metadata?.deletionTimestamp);
  // Created without the finalizer (no store then), or released already: not ours to keep.
  if (!hasLogsFinalizer(pod)) return { action: 'none' };
  // The store was configured when the pod was made and isn't now: let the pod go.
  if (!storeConfigured)
    return deleting !== undefined ? { action: 'release', late: false } : { action: 'none' };
  // Done: a pod being deleted may go; one that isn't keeps the finalizer until it is.
  if (archived) return deleting !== undefined ? { action: 'release', late: false } : { action: 'none' };
  // A store down (or a kubelet gone) for longer than the deadline can't hold a deletion.
  if (deleting !== undefined && now >= deleting + deadlineMs) return { action: 'release', late: true };
  if (!logsFinal(pod))
    return deleting !== undefined ? { action: 'wait', recheckMs: 2_000 } : { action: 'wait' };
  if (!podLogRef(pod))
    return deleting !== undefined ? { action: 'release', late: false } : { action: 'none' };
  return { action: 'archive' };
}
