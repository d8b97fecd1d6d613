// A pool's admission queue: which waiting runs may start now, and in what order the rest
// wait. Pure, computed from cluster state alone (runs, their pods, the pool, its ready nodes),
// so a restarted operator admits the same runs in the same order.
//
// A run whose spec.priority is outside the pool's allowedPriorities (unset: only 0) is refused,
// so a tenant can't claim a place ahead of the others on a shared pool unless the pool grants it;
// so is a run asking for an extended resource (a GPU) that runner.allowedExtendedResources
// doesn't name.
//
// Order: higher spec.priority first. Within a priority, fair between namespaces: a run's
// turn is the number of runs its namespace already has running plus its place in its
// namespace's own queue (FIFO by creation). A namespace that floods the queue therefore
// interleaves with the others instead of going first, and a namespace already holding many
// slots waits behind one holding none. Ties go to the older run.
import type { Admission } from '../api.ts';
import type { NodePool } from '../types.ts';
import { disallowedExtendedResources } from './extended-resources.ts';
import { describeRequests, fits, neverFits, take, type Amounts, type NodeRoom } from './capacity.ts';

export interface QueuedRun {
  key: string;
  namespace: string;
  name: string;
  priority: number;
  /** creationTimestamp in ms. */
  created: number;
}

export interface RunState extends QueuedRun {
  /** Admitted before: it has (or had) a pod, or its status says so. Holds a slot until final. */
  started: boolean;
  final: boolean;
  cancelled: boolean;
  /** The extended resources the run's spec asks for (extendedResourcesOf); unset: none. */
  extendedResources?: readonly string[];
}

export interface QueueInput {
  poolName: string;
  pool: NodePool | undefined;
  readyNodes: number;
  /** Pods the ready member nodes can still take (for pools with no limits of their own). */
  nodeSlots: number;
  runs: RunState[];
  /** Whether the pool admits runs from this namespace (namespaceSelector). */
  namespaceAllowed: (namespace: string) => boolean;
  /** What the nodes can take: when given, a run also needs a ready node it fits on (ADR 9). */
  capacity?: PoolCapacity;
}

/**
 * The pool's room, for admission that knows capacity. Rooms are already net of every pod bound
 * to the nodes; runs that started but whose pod isn't bound yet are in `unbound`, and take room
 * first, in the order given.
 */
export interface PoolCapacity {
  /** Ready member nodes, sorted by name: where a run may be placed now. */
  ready: NodeRoom[];
  /** Every member node, ready or not: what decides that a run can never fit. */
  members: NodeRoom[];
  /** A waiting run's effective pod requests. */
  requestsOf: (run: QueuedRun) => Amounts;
  /** Runs holding a slot whose pod is not on a node yet; `node` when it is pinned to one. */
  unbound: { requests: Amounts; node?: string }[];
  /** This pool's unfinished runner pods on each node (maxRunsPerNode counts them). */
  runnersPerNode: ReadonlyMap<string, number>;
}

export interface QueueResult {
  /** Unfinished runs that hold a slot. */
  running: number;
  /** Runs waiting for room (not counting refused ones). */
  queued: number;
  /** The most runs the pool may hold at once now; undefined = only node capacity limits it. */
  limit: number | undefined;
  /** Runs it can take now. */
  capacity: number;
  /** Verdicts for runs that haven't started, by key. */
  admissions: Map<string, Admission>;
  /**
   * With capacity: a node with room left after every admission above, for a run that already
   * holds a slot and needs a new pod (a retry); undefined when none has room. Doesn't take it.
   */
  fitNode?: (requests: Amounts) => string | undefined;
}

/** The waiting runs in the order they will start. */
export function queueOrder(
  waiting: QueuedRun[],
  runningPerNamespace: ReadonlyMap<string, number>,
): QueuedRun[] {
  const rank = new Map<string, number>();
  const byNamespaceAndPriority = new Map<string, QueuedRun[]>();
  for (const run of waiting) {
    const group = `${run.priority}\u0000${run.namespace}`;
    let list = byNamespaceAndPriority.get(group);
    if (!list) byNamespaceAndPriority.set(group, (list = []));
    list.push(run);
  }
  for (const list of byNamespaceAndPriority.values()) {
    list.sort(fifo);
    list.forEach((run, i) => rank.set(run.key, (runningPerNamespace.get(run.namespace) ?? 0) + i));
  }
  return [...waiting].sort(
    (a, b) => b.priority - a.priority || (rank.get(a.key) ?? 0) - (rank.get(b.key) ?? 0) || fifo(a, b),
  );
}

function fifo(a: QueuedRun, b: QueuedRun): number {
  return a.created - b.created || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

export function computeQueue(input: QueueInput): QueueResult {
  const { pool, poolName } = input;
  const admissions = new Map<string, Admission>();
  const holding = input.runs.filter((r) => r.started && !r.final);
  const waiting = input.runs.filter((r) => !r.started && !r.final && !r.cancelled);
  const running = holding.length;

  if (!pool || pool.metadata.deletionTimestamp) {
    const message = pool ? `NodePool ${poolName} is being deleted` : `NodePool ${poolName} does not exist`;
    for (const run of waiting) admissions.set(run.key, { state: 'queued', reason: 'PoolNotFound', message });
    return { running, queued: waiting.length, limit: 0, capacity: 0, admissions };
  }

  const allowed: RunState[] = [];
  const tooLarge = input.capacity ? neverFitsByRequests(input.capacity) : () => undefined;
  const { min = 0, max = 0 } = pool.spec.allowedPriorities ?? {};
  for (const run of waiting) {
    const inRange = run.priority >= min && run.priority <= max;
    const extra = disallowedExtendedResources(pool, run.extendedResources ?? []);
    const why =
      inRange && extra.length === 0 && input.namespaceAllowed(run.namespace) ? tooLarge(run) : undefined;
    if (!input.namespaceAllowed(run.namespace)) {
      admissions.set(run.key, {
        state: 'refused',
        reason: 'PoolNotAllowed',
        message: `NodePool ${poolName} does not admit runs from namespace ${run.namespace} (its namespaceSelector)`,
      });
    } else if (!inRange) {
      admissions.set(run.key, {
        state: 'refused',
        reason: 'PriorityNotAllowed',
        message: `NodePool ${poolName} admits spec.priority from ${min} to ${max} (its spec.allowedPriorities${
          pool.spec.allowedPriorities ? '' : ', unset: only 0'
        }); this run asks for ${run.priority}`,
      });
    } else if (extra.length > 0) {
      const allowed = pool.spec.runner?.allowedExtendedResources ?? [];
      admissions.set(run.key, {
        state: 'refused',
        reason: 'ExtendedResourceNotAllowed',
        message: `NodePool ${poolName} does not allow the extended resource${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (its spec.runner.allowedExtendedResources: ${
          allowed.length > 0 ? allowed.join(', ') : 'unset, none'
        })`,
      });
    } else if (why) {
      admissions.set(run.key, {
        state: 'refused',
        reason: 'RequestsExceedNodes',
        message: `NodePool ${poolName} can never run it: ${why}`,
      });
    } else allowed.push(run);
  }

  let limit: number | undefined = pool.spec.maxConcurrentRuns;
  if (pool.spec.maxRunsPerNode !== undefined) {
    const perNode = input.readyNodes * pool.spec.maxRunsPerNode;
    limit = limit === undefined ? perNode : Math.min(limit, perNode);
  }
  const free = input.readyNodes === 0 ? 0 : limit === undefined ? Infinity : Math.max(0, limit - running);
  // Without a ready node nothing can start, whatever maxConcurrentRuns says.
  const capacity =
    input.readyNodes === 0
      ? 0
      : limit === undefined
        ? Math.max(0, input.nodeSlots)
        : Math.max(0, limit - running);

  const perNamespace = new Map<string, number>();
  for (const run of holding) perNamespace.set(run.namespace, (perNamespace.get(run.namespace) ?? 0) + 1);
  const placer = input.capacity ? placement(input.capacity, pool.spec.maxRunsPerNode) : undefined;
  const place = free > 0 ? placer?.place : undefined;
  // Unlimited pools that don't count capacity admit everything at once: no need to sort.
  const ordered = free === Infinity && !place ? allowed : queueOrder(allowed, perNamespace);
  // Strictly in order: once a run finds no room, the runs behind it wait too, so a large run
  // can't be starved by a stream of small ones (Kueue's StrictFIFO).
  let admitted = 0;
  let noRoom: string | undefined;
  ordered.forEach((run, i) => {
    if (noRoom === undefined && admitted < free) {
      const requests = place && input.capacity?.requestsOf(run);
      const node = place && requests ? place(requests) : undefined;
      if (!place || node !== undefined) {
        const pinned = node !== undefined && pool.spec.maxRunsPerNode !== undefined;
        admissions.set(run.key, pinned ? { state: 'admitted', node } : { state: 'admitted' });
        admitted++;
        return;
      }
      noRoom = `no ready node has room for ${describeRequests(requests ?? new Map())}${
        pool.spec.maxRunsPerNode !== undefined
          ? ` and fewer than ${pool.spec.maxRunsPerNode} of its runs`
          : ''
      }`;
    }
    const position = i - admitted + 1;
    if (input.readyNodes === 0) {
      admissions.set(run.key, {
        state: 'queued',
        reason: 'NoReadyNodes',
        message: `NodePool ${poolName} has no ready node`,
        position,
      });
    } else {
      const why =
        pool.spec.maxConcurrentRuns === 0
          ? 'maxConcurrentRuns is 0 (the pool is paused)'
          : (noRoom ?? `${running} of ${limit ?? 0} runs are running`);
      admissions.set(run.key, {
        state: 'queued',
        reason: 'PoolAtCapacity',
        message: `NodePool ${poolName} is full: ${why}`,
        position,
      });
    }
  });
  const queued = ordered.length - admitted;
  return { running, queued, limit, capacity, admissions, ...(placer ? { fitNode: placer.find } : {}) };
}

/**
 * First fit over the ready nodes (by name), net of the runs that hold a slot but aren't on a
 * node yet. Returns a function that places one more run and says where, or undefined when no
 * node has room (and, with maxRunsPerNode, fewer than that many of the pool's runs).
 */
function placement(
  c: PoolCapacity,
  perNode: number | undefined,
): { place: (requests: Amounts) => string | undefined; find: (requests: Amounts) => string | undefined } {
  const rooms = new Map(c.ready.map((r) => [r.name, new Map(r.free)]));
  const runners = new Map(c.runnersPerNode);
  const find = (requests: Amounts) => {
    for (const [name, room] of rooms) {
      if ((perNode === undefined || (runners.get(name) ?? 0) < perNode) && fits(requests, room)) return name;
    }
    return undefined;
  };
  const placeOn = (requests: Amounts, node: string) => {
    const room = rooms.get(node);
    if (room) take(room, requests);
    runners.set(node, (runners.get(node) ?? 0) + 1);
  };
  for (const u of c.unbound) {
    const node = u.node !== undefined && rooms.has(u.node) ? u.node : find(u.requests);
    if (node !== undefined) placeOn(u.requests, node);
  }
  const place = (requests: Amounts) => {
    const node = find(requests);
    if (node !== undefined) placeOn(requests, node);
    return node;
  };
  return { place, find };
}

/** neverFits per run, computed once per distinct set of requests (most runs of a pool share one). */
function neverFitsByRequests(c: PoolCapacity): (run: QueuedRun) => string | undefined {
  const seen = new Map<string, string | undefined>();
  return (run) => {
    const requests = c.requestsOf(run);
    const key = [...requests].map(([n, a]) => `${n}=${a}`).join(',');
    if (!seen.has(key)) seen.set(key, neverFits(requests, c.members));
    return seen.get(key);
  };
}
