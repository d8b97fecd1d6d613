// The NodePool reconciler: a finalizer so a deleted pool's labels and taints leave its nodes,
// the pool's status (nodes, readiness, running and queued runs, capacity), and the queue's
// decisions passed on to the runs they concern.
import type { CacheReader } from '../kube/cache.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/k8s-events.ts';
import { objectKey, type Node } from '../kube/json.ts';
import { objectLogger, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { group, nodePoolNames } from '../resources/names.ts';
import { readRecord } from '../resources/nodepool/node-patch.ts';
import { poolStatus } from '../resources/nodepool/status.ts';
import { decidePoolStatusWrite } from '../resources/nodepool/write-policy.ts';
import { parseTime } from '../resources/api.ts';
import type { NodePool, NodePoolStatus, PipelineRun } from '../resources/types.ts';
import type { PoolAdmission } from '../admission/pool-admission.ts';
import { activeRunsByPool } from '../indexes.ts';
import { poolRef, type NodePoolWriter } from './writers.ts';

export const cleanupFinalizer = `${group}/node-cleanup`;
/** A node that can't be cleaned up (gone, or refusing patches) stops blocking deletion after this. */
export const cleanupDeadlineMs = 60_000;

export interface NodePoolReconcilerDeps {
  writer: NodePoolWriter;
  pools: CacheReader<NodePool>;
  nodes: CacheReader<Node>;
  /** Carries the activeRunsByPool index. */
  runs: CacheReader<PipelineRun>;
  admission: Pick<PoolAdmission, 'poolMembers' | 'queue'>;
  recorder: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
  /** Reconcile these runs: the queue's verdict on them differs from their status. */
  enqueueRun: (key: string) => void;
  /** Re-examine this node (to release it from a deleted pool). */
  enqueueNode: (name: string) => void;
  clock?: () => number;
}

export class NodePoolReconciler {
  private readonly deps: NodePoolReconcilerDeps;
  private readonly clock: () => number;
  private readonly lastWrite = new Map<string, number>();

  constructor(deps: NodePoolReconcilerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
  }

  reconcile = async (name: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> => {
    const pool = this.deps.pools.get(name);
    const log = objectLogger(ctx.log, { kind: nodePoolNames.kind, name });
    if (!pool) {
      this.lastWrite.delete(name);
      this.clearMetrics(name);
      this.passOnVerdicts(name);
      return undefined;
    }
    if (pool.metadata.deletionTimestamp) return this.cleanUp(pool, log);
    if (!pool.metadata.finalizers?.includes(cleanupFinalizer)) {
      await this.deps.writer.patchMetadata(name, {
        finalizers: [...(pool.metadata.finalizers ?? []), cleanupFinalizer],
        resourceVersion: pool.metadata.resourceVersion,
      });
      return undefined; // the update notification brings us back
    }

    const now = this.clock();
    const members = this.deps.admission.poolMembers(pool);
    const queue = this.deps.admission.queue(name);
    const status = poolStatus(pool, members.membership, members.ready, queue, now);
    this.recordMetrics(name, status);
    this.passOnVerdicts(name);

    const old = pool.status ?? {};
    const decision = decidePoolStatusWrite(old, status, now, this.lastWrite.get(name));
    if (!decision.write)
      return decision.retryAfterMs === undefined ? undefined : { requeueAfterMs: decision.retryAfterMs };
    const outcome = await this.deps.writer.patchStatus(name, pool.metadata.resourceVersion, status);
    if (outcome === 'conflict') return { requeueAfterMs: 200 };
    if (outcome === 'gone') return undefined;
    this.lastWrite.set(name, now);
    const readyBefore = old.conditions?.find((c) => c.type === 'Ready');
    const readyNow = status.conditions?.find((c) => c.type === 'Ready');
    if (readyNow && readyNow.status !== readyBefore?.status) {
      this.deps.recorder.record(
        poolRef(pool),
        readyNow.status === 'True' ? 'Normal' : 'Warning',
        readyNow.reason,
        readyNow.message,
      );
    }
    return undefined;
  };

  /** Runs whose status doesn't show the queue's verdict yet are reconciled. */
  private passOnVerdicts(poolName: string): void {
    const queue = this.deps.admission.queue(poolName);
    for (const run of this.deps.runs.byIndex(activeRunsByPool, poolName)) {
      const verdict = queue.admissions.get(objectKey(run));
      if (!verdict) continue;
      const s = run.status;
      const shown =
        verdict.state === 'queued' &&
        s?.phase === 'Queued' &&
        s.reason === verdict.reason &&
        (s.queuePosition ?? undefined) === verdict.position;
      if (!shown) this.deps.enqueueRun(objectKey(run));
    }
  }

  /** The pool is being deleted: its nodes give back what Furrow added, then the finalizer goes. */
  private async cleanUp(pool: NodePool, log: Logger): Promise<ReconcileResult | undefined> {
    const name = pool.metadata.name ?? '';
    this.clearMetrics(name);
    this.passOnVerdicts(name);
    if (!pool.metadata.finalizers?.includes(cleanupFinalizer)) return undefined;
    const remaining = this.deps.nodes.list().filter((n) => readRecord(n)?.pool === name);
    const deletedAt = parseTime(pool.metadata.deletionTimestamp) ?? this.clock();
    const overdue = this.clock() >= deletedAt + cleanupDeadlineMs;
    if (remaining.length > 0 && !overdue) {
      for (const node of remaining) this.deps.enqueueNode(node.metadata?.name ?? '');
      return { requeueAfterMs: 1000 };
    }
    if (remaining.length > 0) {
      const names = remaining.map((n) => n.metadata?.name ?? '').join(', ');
      log.warn('gave up cleaning nodes of a deleted pool', { nodes: names });
      this.deps.recorder.record(
        poolRef(pool),
        'Warning',
        'CleanupIncomplete',
        `could not remove the pool's labels and taints from ${names} within ${cleanupDeadlineMs / 1000}s`,
      );
    }
    const finalizers = (pool.metadata.finalizers ?? []).filter((f) => f !== cleanupFinalizer);
    await this.deps.writer.patchMetadata(name, {
      finalizers,
      resourceVersion: pool.metadata.resourceVersion,
    });
    log.info('pool cleaned up; finalizer removed');
    return undefined;
  }

  private recordMetrics(name: string, status: NodePoolStatus): void {
    const m = this.deps.metrics;
    const labels = { pool: name };
    m.poolNodes.set(labels, status.nodes ?? 0);
    m.poolReadyNodes.set(labels, status.readyNodes ?? 0);
    m.poolCapacity.set(labels, status.capacity ?? 0);
    m.poolRunning.set(labels, status.runningRuns ?? 0);
    m.poolQueued.set(labels, status.queuedRuns ?? 0);
  }

  private clearMetrics(name: string): void {
    const m = this.deps.metrics;
    for (const gauge of [m.poolNodes, m.poolReadyNodes, m.poolCapacity, m.poolRunning, m.poolQueued])
      gauge.remove({ pool: name });
  }
}
