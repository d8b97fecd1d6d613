// What a pool's nodes can still take, computed the way kube-scheduler's NodeResourcesFit does:
// a node's allocatable minus the requests of the pods bound to it, against a pod's effective
// requests. Pure. The admission queue uses it so that a run waits as Queued for room instead
// of waiting as a Pending pod that fails Unschedulable (ADR 9).
import type { Node, Pod } from '../../kube/json.ts';
import { formatAmount, schedulerAmount } from './quantity.ts';

/** Resource name → amount in the scheduler's units (millicores for cpu). */
export type Amounts = ReadonlyMap<string, number>;

type PodSpec = NonNullable<Pod['spec']>;
type ContainerLike = NonNullable<PodSpec['initContainers']>[number];

function requestsOf(container: ContainerLike): Map<string, number> {
  const out = new Map<string, number>();
  // A limit without a request defaults the request to the limit (API defaulting); the builder's
  // and the API server's pods already carry both, but a spec from elsewhere may not.
  const limits = container.resources?.limits ?? {};
  const requests = { ...limits, ...(container.resources?.requests ?? {}) };
  for (const [name, quantity] of Object.entries(requests)) out.set(name, schedulerAmount(name, quantity));
  return out;
}

function add(into: Map<string, number>, more: Amounts): void {
  for (const [name, amount] of more) into.set(name, (into.get(name) ?? 0) + amount);
}

function atLeast(into: Map<string, number>, other: Amounts): void {
  for (const [name, amount] of other) into.set(name, Math.max(into.get(name) ?? 0, amount));
}

/**
 * A pod's effective requests, as the scheduler counts them (KEP 753, native sidecars): the
 * larger of (every main container plus every sidecar) and, for each ordinary init container,
 * itself plus the sidecars started before it; then the pod's overhead, and one `pods`.
 */
export function podRequests(spec: PodSpec): Amounts {
  const sidecarsSoFar = new Map<string, number>();
  const initPeak = new Map<string, number>();
  for (const init of spec.initContainers ?? []) {
    const own = requestsOf(init);
    if (init.restartPolicy === 'Always') {
      add(sidecarsSoFar, own);
      atLeast(initPeak, sidecarsSoFar);
    } else {
      const during = new Map(sidecarsSoFar);
      add(during, own);
      atLeast(initPeak, during);
    }
  }
  const total = new Map(sidecarsSoFar);
  for (const container of spec.containers) add(total, requestsOf(container));
  atLeast(total, initPeak);
  for (const [name, quantity] of Object.entries(spec.overhead ?? {})) {
    total.set(name, (total.get(name) ?? 0) + schedulerAmount(name, quantity));
  }
  total.set('pods', (total.get('pods') ?? 0) + 1);
  return total;
}

export interface NodeRoom {
  name: string;
  allocatable: Amounts;
  /** allocatable minus what the pods bound to the node request; may go negative. */
  free: Map<string, number>;
}

/** What a node offers; a node that doesn't say how many pods it takes takes the kubelet's 110. */
export function allocatableOf(node: Node): Map<string, number> {
  const out = new Map<string, number>([['pods', 110]]);
  for (const [name, quantity] of Object.entries(node.status?.allocatable ?? {})) {
    out.set(name, schedulerAmount(name, quantity));
  }
  return out;
}

/** A node's room, given the effective requests of the unfinished pods bound to it. */
export function nodeRoom(node: Node, boundPodRequests: Iterable<Amounts>): NodeRoom {
  const allocatable = allocatableOf(node);
  const free = new Map(allocatable);
  for (const requests of boundPodRequests) {
    for (const [name, amount] of requests) free.set(name, (free.get(name) ?? 0) - amount);
  }
  return { name: node.metadata?.name ?? '', allocatable, free };
}

/** Whether `requests` fit in `room`. A resource the node doesn't list is 0 there. */
export function fits(requests: Amounts, room: Amounts): boolean {
  for (const [name, amount] of requests) {
    if (amount > 0 && amount > (room.get(name) ?? 0)) return false;
  }
  return true;
}

/** Takes `requests` out of `room` (an admission holds its place until its pod is bound). */
export function take(room: Map<string, number>, requests: Amounts): void {
  for (const [name, amount] of requests) room.set(name, (room.get(name) ?? 0) - amount);
}

/** "cpu 2, memory 4Gi": the requests people set, without the implicit pods: 1. */
export function describeRequests(requests: Amounts): string {
  return [...requests]
    .filter(([name, amount]) => name !== 'pods' && amount > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, amount]) => `${name} ${formatAmount(name, amount)}`)
    .join(', ');
}

/**
 * Why a pod with these requests can never run on any of `nodes`, even empty, or undefined when
 * it fits on one of them. Names the request and the node that comes closest: for a single
 * resource that no node has enough of, the node with the most of it.
 */
export function neverFits(requests: Amounts, nodes: readonly NodeRoom[]): string | undefined {
  if (nodes.length === 0 || nodes.some((n) => fits(requests, n.allocatable))) return undefined;
  for (const [name, amount] of [...requests].sort(([a], [b]) => a.localeCompare(b))) {
    let largest: NodeRoom | undefined;
    for (const node of nodes) {
      if (!largest || (node.allocatable.get(name) ?? 0) > (largest.allocatable.get(name) ?? 0))
        largest = node;
    }
    const most = largest?.allocatable.get(name) ?? 0;
    if (largest && amount > most) {
      return `it requests ${name} ${formatAmount(name, amount)}, more than any node of the pool has: the largest, ${largest.name}, has ${formatAmount(name, most)} allocatable`;
    }
  }
  const names = nodes.map((n) => n.name).sort();
  return `no single node of the pool has all it requests (${describeRequests(requests)}); nodes: ${names.join(', ')}`;
}
