// Admission: which runs each pool lets start now, and the order of the rest (the pool's queue,
// as its status and the runs' Queued phase show it), read from the caches. Decisions come from
// cluster state; the one thing held in memory is a reservation for each pod creation this
// process has sent but not yet seen in its cache, so two reconciles running side by side
// can't both take the last slot. (Only the leader reconciles, so there is no second process
// to race with.)
import type { Cache } from '../kube/cache.ts';
import { objectKey, type Node, type Pod } from '../kube/json.ts';
import { isReadyNode, membership, type PoolMembership } from '../resources/nodepool/membership.ts';
import { extendedResourcesOf } from '../resources/nodepool/extended-resources.ts';
import { computeQueue, type QueueResult, type RunState } from '../resources/nodepool/queue.ts';
import { parseTime, type Admission } from '../resources/api.ts';
import { matchesSelector } from '../resources/selectors.ts';
import type { NodePool, PipelineRun } from '../resources/types.ts';
import { activeRunsByPool, isFinal, podsByRunUid } from '../indexes.ts';
import { poolCapacity, RunRequests, type StartedRun } from './pool-capacity.ts';

/** The caches admission reads; the runs and pods caches carry the indexes of ../indexes.ts. */
export interface AdmissionCaches {
  runs: Cache<PipelineRun>;
  pods: Cache<Pod>;
  pools: Cache<NodePool>;
  nodes: Cache<Node>;
  namespaces: Cache<{ metadata?: { name?: string; labels?: Record<string, string> } }>;
  /** Other pods bound to nodes, trimmed to their requests, indexed by node (podsByNode). */
  nodePods: Cache<Pod>;
}

/** A reservation not confirmed by the cache within this long is dropped (the create failed). */
const reservationTtlMs = 30_000;

interface Members {
  membership: PoolMembership;
  ready: number;
  slots: number;
}

export class PoolAdmission {
  private readonly caches: AdmissionCaches;
  private readonly clock: () => number;
  private readonly queues = new Map<string, QueueResult>();
  private readonly members = new Map<string, Members>();
  private readonly reservations = new Map<string, { pool: string; at: number; node?: string }>();
  private readonly requests = new RunRequests();

  private readonly scoped: boolean;

  constructor(caches: AdmissionCaches, scoped = false, clock: () => number = Date.now) {
    this.caches = caches;
    this.scoped = scoped;
    this.clock = clock;
  }

  /** Something about this pool's runs changed. */
  invalidate(pool: string): void {
    this.queues.delete(pool);
  }

  /** What other pods take from the nodes changed: every queue may be affected. */
  invalidateQueues(): void {
    this.queues.clear();
  }

  /** Nodes, pools or namespaces changed: every pool may be affected. */
  invalidateAll(): void {
    this.queues.clear();
    this.members.clear();
  }

  /**
   * The pool's verdict on starting `run`. Runs that already started keep their slot. Every
   * pool's queue knows capacity: a run is admitted when its pod fits on a ready member node,
   * in queue order (ADR 9).
   */
  admission(run: PipelineRun): Admission {
    if (this.started(run)) return this.startedAdmission(run);
    return this.queue(run.spec.pool).admissions.get(objectKey(run)) ?? { state: 'admitted' };
  }

  /**
   * A run that holds a slot keeps it. In a pool with maxRunsPerNode, a new attempt's pod (a
   * retry) is pinned to a node with room like a new run's, so the limit holds for retries too;
   * with no such node now, it goes unpinned and the scheduler decides.
   */
  private startedAdmission(run: PipelineRun): Admission {
    const pool = this.caches.pools.get(run.spec.pool);
    if (pool?.spec.maxRunsPerNode === undefined) return { state: 'admitted' };
    if (this.reservations.has(objectKey(run))) return { state: 'admitted' };
    const pods = this.caches.pods.byIndex(podsByRunUid, run.metadata.uid ?? '');
    if (pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'))
      return { state: 'admitted' };
    const node = this.queue(run.spec.pool).fitNode?.(this.requests.of(run, pool));
    return node !== undefined ? { state: 'admitted', node } : { state: 'admitted' };
  }

  /** Counts `run` as running, on `node` if it is pinned to one, until its pod is in the cache. */
  reserve(run: PipelineRun, node?: string): void {
    this.reservations.set(objectKey(run), {
      pool: run.spec.pool,
      at: this.clock(),
      ...(node !== undefined ? { node } : {}),
    });
    this.invalidate(run.spec.pool);
  }

  release(runKey: string): void {
    const reservation = this.reservations.get(runKey);
    if (!reservation) return;
    this.reservations.delete(runKey);
    this.invalidate(reservation.pool);
  }

  queue(poolName: string): QueueResult {
    const cached = this.queues.get(poolName);
    if (cached) return cached;
    const pool = this.caches.pools.get(poolName);
    const members = pool ? this.poolMembers(pool) : undefined;
    const active = this.caches.runs.byIndex(activeRunsByPool, poolName);
    const runs = active.map((run) => this.state(run));
    const result = computeQueue({
      poolName,
      pool,
      readyNodes: members?.ready ?? 0,
      nodeSlots: members?.slots ?? 0,
      runs,
      namespaceAllowed: (ns) => (pool ? this.namespaceAllowed(pool, ns) : false),
      ...(pool && members ? { capacity: this.capacity(pool, members.membership, active, runs) } : {}),
    });
    this.queues.set(poolName, result);
    return result;
  }

  poolMembers(pool: NodePool): Members {
    const name = pool.metadata.name ?? '';
    const cached = this.members.get(name);
    if (cached) return cached;
    const m = membership(pool, this.caches.nodes.list(), this.caches.pools.list(), this.scoped);
    const readyNodes = m.members.filter(isReadyNode);
    const slots = readyNodes.reduce((sum, n) => sum + (Number(n.status?.allocatable?.pods ?? 110) || 0), 0);
    const result = {
      membership: m,
      ready: readyNodes.length,
      slots: Math.max(0, slots - this.queue0Running(name)),
    };
    this.members.set(name, result);
    return result;
  }

  private capacity(
    pool: NodePool,
    m: PoolMembership,
    active: readonly PipelineRun[],
    states: readonly RunState[],
  ): ReturnType<typeof poolCapacity> {
    const byKey = new Map(active.map((run) => [objectKey(run), run]));
    const started: StartedRun[] = [];
    states.forEach((state, i) => {
      const run = active[i];
      if (!run || !state.started) return;
      const reservation = this.reservations.get(state.key);
      started.push({ run, reserved: reservation !== undefined, reservedNode: reservation?.node });
    });
    this.requests.keepOnly(new Set(active.map((run) => run.metadata.uid ?? '')));
    return poolCapacity(this.caches, pool, m.members, started, (key) => byKey.get(key), this.requests);
  }

  private queue0Running(poolName: string): number {
    return this.caches.runs.byIndex(activeRunsByPool, poolName).filter((r) => this.started(r)).length;
  }

  private namespaceAllowed(pool: NodePool, namespace: string): boolean {
    const selector = pool.spec.namespaceSelector;
    if (!selector) return true;
    return matchesSelector(selector, this.caches.namespaces.get(namespace)?.metadata?.labels);
  }

  private started(run: PipelineRun): boolean {
    const key = objectKey(run);
    const reservation = this.reservations.get(key);
    if (reservation && this.clock() - reservation.at > reservationTtlMs) this.reservations.delete(key);
    if (this.reservations.has(key)) return true;
    const status = run.status;
    if (status?.attempt !== undefined) return true;
    if (status?.conditions?.some((c) => c.type === 'Admitted' && c.status === 'True')) return true;
    return this.caches.pods.byIndex(podsByRunUid, run.metadata.uid ?? '').length > 0;
  }

  private state(run: PipelineRun): RunState {
    return {
      key: objectKey(run),
      namespace: run.metadata.namespace ?? '',
      name: run.metadata.name ?? '',
      priority: run.spec.priority ?? 0,
      created: parseTime(run.metadata.creationTimestamp) ?? 0,
      started: this.started(run),
      final: isFinal(run),
      cancelled: run.spec.cancelled === true,
      extendedResources: extendedResourcesOf(run.spec),
    };
  }
}
