// A pool's admission queue: which waiting runs may start now, and in what order the rest
// wait. Pure, computed from cluster state alone (runs, their pods, the pool, its ready nodes),
// so a restarted operator admits the same runs in the same order.
//
// Order: higher spec.priority first. Within a priority, fair between namespaces: a run's
// turn is the number of runs its namespace already has running plus its place in its
// namespace's own queue (FIFO by creation). A namespace that floods the queue therefore
// interleaves with the others instead of going first, and a namespace already holding many
// slots waits behind one holding none. Ties go to the older run.
import type { Admission } from '../api.ts';
import type { NodePool } from '../types.ts';

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
  for (const run of waiting) {
    if (input.namespaceAllowed(run.namespace)) allowed.push(run);
    else {
      admissions.set(run.key, {
        state: 'refused',
        reason: 'PoolNotAllowed',
        message: `NodePool ${poolName} does not admit runs from namespace ${run.namespace} (its namespaceSelector)`,
      });
    }
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
  // Unlimited pools admit everything at once: no need to sort.
  const ordered = free === Infinity ? allowed : queueOrder(allowed, perNamespace);
  ordered.forEach((run, i) => {
    if (i < free) {
      admissions.set(run.key, { state: 'admitted' });
      return;
    }
    const position = i - (free === Infinity ? 0 : free) + 1;
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
          : `${running} of ${limit ?? 0} runs are running`;
      admissions.set(run.key, {
        state: 'queued',
        reason: 'PoolAtCapacity',
        message: `NodePool ${poolName} is full: ${why}`,
        position,
      });
    }
  });
  const queued = ordered.length - Math.min(ordered.length, free);
  return { running, queued, limit, capacity, admissions };
}
