// The log archive reconciler, keyed by runner pod: observe the pod (cache) and what the
// archiver has done with it, decide (decideArchive, pure), act: start a copy, take the logs
// finalizer off a deleted pod once its logs are safe (or the deadline has passed), and say on
// the run when the store keeps failing (condition LogsArchived) and when it recovers.
import type { CacheReader } from '../kube/cache.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import { splitKey, type Pod } from '../kube/json.ts';
import type { EventRecorder } from '../kube/k8s-events.ts';
import { objectLogger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { setCondition } from '../resources/api.ts';
import { decideArchive, podLogRef } from '../resources/logs/archive-plan.ts';
import { archiveRetryMs, logsCondition, logsConditionType } from '../resources/logs/condition.ts';
import type { PipelineRun } from '../resources/types.ts';
import type { ArchiveFailure, LogArchiver } from '../archive/archiver.ts';
import { runRef, type LogArchiveWriter } from './writers.ts';

export interface LogArchiveReconcilerDeps {
  pods: CacheReader<Pod>;
  runs: CacheReader<PipelineRun>;
  /** Undefined when no object store is configured. */
  archiver: Pick<LogArchiver, 'state' | 'start'> | undefined;
  writer: LogArchiveWriter;
  recorder: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
  deadlineMs: number;
  clock?: () => number;
}

export class LogArchiveReconciler {
  private readonly deps: LogArchiveReconcilerDeps;
  private readonly clock: () => number;
  /** When each pod's last failed try ended, for the retry's backoff. */
  private readonly failedAt = new Map<string, number>();

  constructor(deps: LogArchiveReconcilerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> => {
    const { namespace, name } = splitKey(key);
    const pod = this.deps.pods.get(name, namespace);
    if (!pod) {
      this.failedAt.delete(key);
      return undefined;
    }
    const log = objectLogger(ctx.log, { kind: 'Pod', namespace, name });
    const { archiver } = this.deps;
    const state = archiver?.state(pod.metadata?.uid ?? '');
    const now = this.clock();
    const decision = decideArchive({
      pod,
      archived: state === 'archived',
      storeConfigured: archiver !== undefined,
      now,
      deadlineMs: this.deps.deadlineMs,
    });
    if (state === 'archived' || typeof state === 'object') await this.reportOnRun(pod, state);
    switch (decision.action) {
      case 'none':
        return undefined;
      case 'wait':
        return decision.recheckMs !== undefined ? { requeueAfterMs: decision.recheckMs } : undefined;
      case 'archive': {
        if (state === 'running') return undefined; // the archiver queues the key when it ends
        if (typeof state === 'object') {
          const since = this.failedAt.get(key) ?? now;
          this.failedAt.set(key, since);
          const wait = since + archiveRetryMs(state.failures) - now;
          if (wait > 0) return { requeueAfterMs: wait };
          this.failedAt.delete(key);
        }
        archiver?.start(pod);
        return undefined;
      }
      case 'release': {
        if (decision.late) {
          this.deps.metrics.logArchives.inc({ result: 'late' });
          log.warn('released a pod whose logs could not be archived by the deadline', {
            error: typeof state === 'object' ? state.message : undefined,
          });
          const run = this.runOf(pod);
          if (run)
            this.deps.recorder.record(
              runRef(run),
              'Warning',
              'LogsNotArchived',
              `the logs of pod ${name} could not be archived before the deadline; they are lost with the pod`,
            );
        }
        if (!(await this.deps.writer.releasePod(pod))) return { requeueAfterMs: 1_000 };
        log.debug('logs finalizer removed');
        return undefined;
      }
    }
  };

  private runOf(pod: Pod): PipelineRun | undefined {
    const ref = podLogRef(pod);
    const run = ref ? this.deps.runs.get(ref.name, ref.namespace) : undefined;
    return run?.metadata.uid === ref?.uid ? run : undefined;
  }

  /**
   * The run says when its logs can't be archived, and again once they are: only a change is
   * written, so an archive that works the first time costs the run no write at all.
   */
  private async reportOnRun(pod: Pod, state: 'archived' | ArchiveFailure): Promise<void> {
    const run = this.runOf(pod);
    if (!run) return;
    const current = run.status?.conditions?.find((c) => c.type === logsConditionType);
    const wanted = logsCondition(state, podLogRef(pod)?.attempt ?? 0);
    if (state === 'archived' && current?.status !== 'False') return;
    if (current?.status === wanted.status && current.reason === wanted.reason) return;
    const conditions = setCondition(
      run.status?.conditions,
      wanted,
      run.metadata.generation ?? 0,
      this.clock(),
    );
    await this.deps.writer.patchRunConditions(run, conditions);
  }
}
