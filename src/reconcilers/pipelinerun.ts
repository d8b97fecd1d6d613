// The PipelineRun reconciler: observe (caches only), compute (planRun, pure), act (create or
// delete pods, delete finished runs), then write the status if it changed.
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import { describeError } from '../kube/errors.ts';
import type { EventRecorder } from '../kube/k8s-events.ts';
import type { CacheReader } from '../kube/cache.ts';
import { RecentCreates, RecentWrites } from '../kube/read-your-writes.ts';
import { trimPod, trimRun } from '../trim.ts';
import { objectKey, splitKey, type Pod } from '../kube/json.ts';
import { objectLogger, type Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { pipelineRunNames } from '../resources/names.ts';
import { transitionEvents } from '../resources/pipelinerun/events.ts';
import { planRun, type PlanConfig, type RunAction, type RunInput } from '../resources/pipelinerun/plan.ts';
import { controllingRunUid, finalPhases, parseTime } from '../resources/api.ts';
import { decideStatusWrite, statusMergePatch } from '../resources/pipelinerun/write-policy.ts';
import type { NodePool, PipelineRun, PipelineRunStatus } from '../resources/types.ts';
import { validatePipelineRun } from '../resources/validate.ts';
import { podSpecDifferences } from '../resources/runner-pod/compare.ts';
import type { PoolAdmission } from '../admission/pool-admission.ts';
import { podsByRunUid } from '../indexes.ts';
import { runRef, type PipelineRunWriter } from './writers.ts';

export interface PipelineRunReconcilerDeps {
  writer: PipelineRunWriter;
  runs: CacheReader<PipelineRun>;
  /** Carries the podsByRunUid index. */
  pods: CacheReader<Pod>;
  pools: CacheReader<NodePool>;
  admission: Pick<PoolAdmission, 'admission' | 'reserve' | 'release'>;
  recorder: Pick<EventRecorder, 'record'>;
  config: PlanConfig;
  metrics: Metrics;
  clock?: () => number;
}

/**
 * An authorisation 403 on a pod create may pass (the authorizer's cache warming after an API
 * server restart): the create is tried this many times, `unauthorizedBackoffMs(n)` apart, before
 * the refusal ends the attempt as PodRejected.
 */
export const unauthorizedCreateTries = 5;
export const unauthorizedBackoffMs = (failures: number): number => 1000 * 2 ** (failures - 1);

export class PipelineRunReconciler {
  private readonly deps: PipelineRunReconcilerDeps;
  private readonly clock: () => number;
  /** When each run's status was last written by this process (for the progress write rate). */
  private readonly lastWrite = new Map<string, number>();
  /** Validation results by uid and generation: a spec is validated once. */
  private readonly validated = new Map<string, { generation: number; error: string | undefined }>();
  /** Runs as our last status write left them, and pods we created, until the caches catch up. */
  private readonly written = new RecentWrites<PipelineRun>();
  private readonly created = new RecentCreates<Pod>();
  /** Authorisation refusals of each attempt's pod create so far, by run uid and attempt. */
  private readonly unauthorized = new Map<string, number>();

  constructor(deps: PipelineRunReconcilerDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? Date.now;
  }

  reconcile = async (key: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> => {
    const { namespace, name } = splitKey(key);
    const run = this.written.resolve(key, this.deps.runs.get(name, namespace));
    if (!run) {
      // Deleted: the garbage collector removes its pods through their ownerReferences.
      this.lastWrite.delete(key);
      this.written.forget(key);
      return undefined;
    }
    const log = objectLogger(ctx.log, { kind: pipelineRunNames.kind, namespace, name });
    const uid = run.metadata.uid ?? '';
    const pool = this.deps.pools.get(run.spec.pool);
    const pods = this.created.merge(uid, this.deps.pods.byIndex(podsByRunUid, uid));
    const now = this.clock();
    const admission = this.deps.admission.admission(run);
    const input: RunInput = {
      run,
      pool,
      pods,
      admission,
      now,
      config: this.deps.config,
      ...this.invalidSpec(run),
    };
    let plan = planRun(input);

    let requeueAfterMs = plan.requeueAfterMs;
    // Taking the slot now, before the first await, keeps concurrent reconciles of other runs
    // from admitting past the pool's limit while this pod is on its way.
    if (plan.actions.some((a) => a.type === 'createPod'))
      this.deps.admission.reserve(run, admission.state === 'admitted' ? admission.node : undefined);
    // Rule: the cluster always holds evidence of an attempt. A pod is created before the status
    // that records it (until then the pod is the record); a pod is deleted only after the status
    // that explains it, so a crash in between can't make the next leader start the attempt
    // again. Test: test/unit/reconcilers/pipelinerun-order.test.ts.
    for (const action of plan.actions.filter((a) => a.type === 'createPod')) {
      const outcome = await this.act(run, action, log);
      if (outcome === 'gone') return undefined;
      // Tried again later; nothing is written meanwhile, as after a failed request.
      if (typeof outcome === 'object' && 'againInMs' in outcome) return { requeueAfterMs: outcome.againInMs };
      if (typeof outcome === 'object') {
        // The API server refused the pod for good: that ends this attempt, and the plan says
        // what follows (a retry within retries.limit, or Failed PodRejected). Or the pod's
        // name is held by a pod this run doesn't control: the run waits, saying so.
        plan = planRun(
          'rejected' in outcome
            ? { ...input, podRejected: outcome.rejected }
            : 'notAdopted' in outcome
              ? { ...input, podNotAdopted: outcome.notAdopted }
              : { ...input, podNameTaken: outcome.taken },
        );
        requeueAfterMs = plan.requeueAfterMs;
        break;
      }
    }

    const old = run.status ?? {};
    const decision = decideStatusWrite(old, plan.status, now, plan.writeNotBefore, this.lastWrite.get(key));
    if (decision.write) {
      const written = await this.writeStatus(run, old, plan.status, log);
      if (!written) return { requeueAfterMs: 500 };
      this.lastWrite.set(key, now);
      this.observe(run, old, plan.status);
      for (const event of transitionEvents(old, plan.status)) {
        this.deps.recorder.record(runRef(run), event.type, event.reason, event.note);
      }
    } else if (decision.retryAfterMs !== undefined) {
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, decision.retryAfterMs);
    }
    const deletions = plan.actions.filter((a) => a.type !== 'createPod');
    // A deferred write defers the deletions it would explain.
    if (deletions.length > 0 && !decision.write && decision.retryAfterMs !== undefined)
      return { requeueAfterMs: decision.retryAfterMs };
    for (const action of deletions) {
      if ((await this.act(run, action, log)) === 'gone') return undefined;
    }
    if (plan.status.phase && finalPhases.has(plan.status.phase)) {
      // A finished run is never validated or rate-limited again.
      this.validated.delete(uid);
      if (requeueAfterMs === undefined) this.lastWrite.delete(key);
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  };

  private invalidSpec(run: PipelineRun): { invalidSpec?: string } {
    // A finished run is never started again (and its cached spec is trimmed): nothing to check.
    if (run.status?.phase && finalPhases.has(run.status.phase)) return {};
    const uid = run.metadata.uid ?? '';
    const generation = run.metadata.generation ?? 0;
    let cached = this.validated.get(uid);
    if (cached?.generation !== generation) {
      const result = validatePipelineRun(run);
      const error = result.ok ? undefined : result.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
      cached = { generation, error };
      this.validated.set(uid, cached);
      if (this.validated.size > 50_000) this.validated.clear();
    }
    return cached.error !== undefined ? { invalidSpec: cached.error } : {};
  }

  /**
   * Carries out one action: 'gone' when the run itself was deleted, { rejected } when the API
   * server refused its pod for good (validation, or an admission policy; a full quota is
   * retried instead), { againInMs } after an authorisation refusal that may still pass.
   */
  private async act(
    run: PipelineRun,
    action: RunAction,
    log: Logger,
  ): Promise<
    | 'done'
    | 'gone'
    | { rejected: string }
    | { taken: string }
    | { notAdopted: string }
    | { againInMs: number }
  > {
    const namespace = run.metadata.namespace ?? '';
    const { writer } = this.deps;
    switch (action.type) {
      case 'createPod': {
        const name = action.pod.metadata?.name ?? '';
        let outcome;
        try {
          outcome = await writer.createPod(namespace, action.pod);
        } catch (err) {
          this.deps.admission.release(objectKey(run));
          throw err;
        }
        if ('exists' in outcome) {
          const refusal = await this.adopt(run, action.pod, log);
          if (refusal === undefined) return 'done';
          this.deps.admission.release(objectKey(run));
          return refusal;
        }
        const tryKey = `${run.metadata.uid ?? ''}/${action.attempt}`;
        if ('refused' in outcome) {
          this.deps.admission.release(objectKey(run));
          const failures = (this.unauthorized.get(tryKey) ?? 0) + 1;
          if (outcome.unauthorized && failures < unauthorizedCreateTries) {
            if (this.unauthorized.size > 10_000) this.unauthorized.clear();
            this.unauthorized.set(tryKey, failures);
            const againInMs = unauthorizedBackoffMs(failures);
            log.warn('the API server did not authorise the runner pod; trying again', {
              pod: name,
              error: outcome.refused,
              failures,
              againInMs,
            });
            return { againInMs };
          }
          this.unauthorized.delete(tryKey);
          log.warn('the API server refused the runner pod', { pod: name, error: outcome.refused });
          return {
            rejected: outcome.unauthorized ? `${outcome.refused} (${failures} tries)` : outcome.refused,
          };
        }
        this.unauthorized.delete(tryKey);
        // Kept as the cache will hold it (trimmed): under load the cache can lag for seconds.
        this.created.remember(run.metadata.uid ?? '', trimPod(outcome.created));
        log.info('created runner pod', { pod: name, attempt: action.attempt });
        this.deps.recorder.record(
          runRef(run),
          'Normal',
          'PodCreated',
          `created pod ${name} (attempt ${action.attempt})`,
        );
        return 'done';
      }
      case 'deletePod': {
        const pod = action.pod;
        const name = pod.metadata?.name ?? '';
        // Already gone, or replaced by another pod of that name (the uid precondition): done.
        if (await writer.deletePod({ namespace, name, uid: pod.metadata?.uid }, action.gracePeriodSeconds))
          log.info('deleted runner pod', { pod: name, why: action.why });
        return 'done';
      }
      case 'deleteRun': {
        if (await writer.deleteRun(run)) log.info('deleted finished run', { why: action.why });
        return 'gone';
      }
    }
  }

  /**
   * A pod of the attempt's name exists: ours (created by an earlier reconcile), a stranger (a
   * previous run of the same name not yet collected, someone else's pod), or one that claims to
   * be the run's but is not the pod Furrow would build (`want`): why it can't be used, then.
   */
  private async adopt(
    run: PipelineRun,
    want: Pod,
    log: Logger,
  ): Promise<{ taken: string } | { notAdopted: string } | undefined> {
    const namespace = run.metadata.namespace ?? '';
    const name = want.metadata?.name ?? '';
    const pod = this.deps.pods.get(name, namespace) ?? (await this.deps.writer.readPod(namespace, name));
    if (controllingRunUid(pod).includes(run.metadata.uid ?? '')) {
      const differences = podSpecDifferences(want, pod);
      if (differences.length === 0) {
        log.debug('runner pod already exists; adopting it', { pod: name });
        return undefined;
      }
      const message = `pod ${name} claims to be this run’s but differs from the pod Furrow builds for it (${differences.join(', ')}): not adopted`;
      log.warn('a pod claiming to be the run’s differs from its runner pod', { pod: name, differences });
      this.deps.recorder.record(runRef(run), 'Warning', 'PodNotAdopted', message);
      return { notAdopted: message };
    }
    const message = `pod ${name} exists and is not controlled by this run`;
    log.info('the runner pod’s name is taken', { pod: name });
    this.deps.recorder.record(runRef(run), 'Warning', 'PodNameTaken', `${message}; delete or rename it`);
    return { taken: message };
  }

  /** Merge patch of the status subresource, on the resourceVersion the plan was made from. */
  private async writeStatus(
    run: PipelineRun,
    old: PipelineRunStatus,
    next: PipelineRunStatus,
    log: Logger,
  ): Promise<boolean> {
    let outcome;
    try {
      outcome = await this.deps.writer.patchStatus(run, statusMergePatch(old, next));
    } catch (err) {
      log.warn('could not write status', { error: describeError(err) });
      throw err;
    }
    if (outcome === 'conflict') {
      // Our cache is behind the object: decide again from the newer version.
      log.debug('status conflict; will reconcile the newer version');
      return false;
    }
    if (outcome === 'gone') return true;
    const mine = outcome.written;
    delete mine.metadata.managedFields;
    this.written.remember(objectKey(run), trimRun(mine));
    log.debug('status written', { phase: next.phase, reason: next.reason });
    return true;
  }

  private observe(run: PipelineRun, old: PipelineRunStatus, next: PipelineRunStatus): void {
    const pool = run.spec.pool;
    const created = parseTime(run.metadata.creationTimestamp);
    const started = parseTime(next.startTime);
    if (old.startTime === undefined && started !== undefined && created !== undefined) {
      this.deps.metrics.runQueueWait.observe({ pool }, Math.max(0, started - created) / 1000);
    }
    const phase = next.phase;
    if (phase && finalPhases.has(phase) && old.phase !== phase && started !== undefined) {
      const completed = parseTime(next.completionTime) ?? this.clock();
      this.deps.metrics.runDuration.observe({ pool, phase }, Math.max(0, completed - started) / 1000);
    }
  }
}
