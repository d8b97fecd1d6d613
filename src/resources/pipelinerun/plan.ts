// run + pool + pods + admission + clock → the status the run should have and what to do.
// Pure. A chain of policies, as cert-manager's: each looks at the run and either decides
// (returns a plan) or passes to the next. Their order is the precedence of the rules:
//   finished > invalid > pod rejected > pod name taken > cancelled > refused > queued >
//   timed out > the attempt's pod.
// Everything is derived from cluster state (the run's spec and status, its pods), never from
// memory, so a restarted operator or a new leader decides the same.
import type { Pod } from '../../kube/json.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { buildRunnerPod } from '../runner-pod/build.ts';
import { stopGracePeriodSeconds } from '../runner-pod/constants.ts';
import { runnerPodName } from '../runner-pod/naming.ts';
import type {
  AttemptStatus,
  NodePool,
  PipelineRun,
  PipelineRunPhase as Phase,
  PipelineRunStatus,
  StepStatus,
} from '../types.ts';
import {
  createdAt,
  failureOf,
  finishedAt,
  hasStarted,
  isTerminal,
  lastContainerChange,
  stuckReason,
  type Failure,
} from './pod-reading.ts';
import { currentStep, stepStatuses } from './steps.ts';
import {
  defined as clean,
  finalPhases,
  formatTime,
  generationAnnotation,
  parseTime,
  setCondition,
  type Admission,
} from '../api.ts';

export interface PlanConfig {
  defaultTtlSeconds: number | undefined;
  defaultPendingTimeoutMs: number;
  maxInfrastructureRetries: number;
  gitImage: string;
}

export interface RunInput {
  run: PipelineRun;
  pool: NodePool | undefined;
  /** Pods this run controls, of any attempt. */
  pods: Pod[];
  admission: Admission;
  now: number;
  config: PlanConfig;
  /**
   * Why the spec is unusable, when the operator's validator refuses it (an object stored
   * before the CRD's schema tightened, or a CRD installed without validation).
   */
  invalidSpec?: string;
  /** The API server refused the attempt's pod (admission, validation): why, in its words. */
  podRejected?: string;
  /**
   * The attempt's pod name is held by a pod this run doesn't control (a previous run of the
   * same name not yet collected, or someone else's pod): why.
   */
  podNameTaken?: string;
}

export type RunAction =
  | { type: 'createPod'; pod: Pod; attempt: number }
  | { type: 'deletePod'; pod: Pod; gracePeriodSeconds: number; why: string }
  | { type: 'deleteRun'; why: string };

export interface RunPlan {
  status: PipelineRunStatus;
  actions: RunAction[];
  /** Reconcile again after this long even if nothing changes (a deadline, a backoff). */
  requeueAfterMs?: number;
  /**
   * The status is transitional: write it only if it still holds at this time. A pod that
   * starts within a second or two then costs no "Pending" write (the happy path's budget is
   * one pod and two status writes).
   */
  writeNotBefore?: number;
}

/** How long a fresh first pod may stay Pending before the status says so. */
export const pendingWriteDelayMs = 2000;
/** The operator stops a step this long after its timeout if the step's own wrapper didn't. */
export const stepTimeoutGraceMs = 30_000;
const defaultTimeout = '1h';
const defaultBackoff = '10s';
const maxBackoffMs = 3_600_000;

interface Context {
  input: RunInput;
  run: PipelineRun;
  old: PipelineRunStatus;
  now: number;
  generation: number;
  /** The attempt in play: the current one, or the next when the last has ended. */
  attempt: number;
  podName: string;
  pod: Pod | undefined;
  /** The attempt was recorded in status as started (its pod existed). */
  attemptRecorded: boolean;
  /** When the run was admitted (its first pod was created); undefined before. */
  startedAt: number | undefined;
  timeoutMs: number;
  livePods: Pod[];
}

type Policy = (ctx: Context) => RunPlan | undefined;

export function planRun(input: RunInput): RunPlan {
  const ctx = context(input);
  for (const policy of policies) {
    const plan = policy(ctx);
    if (plan) return plan;
  }
  throw new Error('no policy decided');
}

function context(input: RunInput): Context {
  const { run, pods, now } = input;
  const old = run.status ?? {};
  const name = run.metadata.name ?? '';
  const recorded = old.attempt ?? 0;
  const record = old.attempts?.find((a) => a.attempt === recorded);
  let attempt = recorded === 0 ? 1 : record?.completionTime ? recorded + 1 : recorded;
  // A pod of a later attempt exists when its creation landed but the status write after it
  // didn't (an operator restart in between): carry on with it.
  for (let k = attempt + 1; pods.some((p) => p.metadata?.name === runnerPodName(name, k)); k++) attempt = k;
  // A pod of an earlier attempt that no record closes (alive, or with its attempt on record)
  // is the attempt in play: a status whose attempt number runs ahead of the pods (written by
  // hand, restored from an old backup) must not start a second pod beside a running one.
  for (let k = attempt - 1; k >= 1; k--) {
    const earlier = pods.find((p) => p.metadata?.name === runnerPodName(name, k));
    const kept = old.attempts?.find((a) => a.attempt === k);
    const alive = earlier && !isTerminal(earlier) && !earlier.metadata?.deletionTimestamp;
    if (earlier && !kept?.completionTime && (alive || kept)) {
      attempt = k;
      break;
    }
  }
  const podName = runnerPodName(name, attempt);
  const pod = pods.find((p) => p.metadata?.name === podName);
  const firstPod = pods.find((p) => p.metadata?.name === runnerPodName(name, 1));
  const startedAt = parseTime(old.startTime) ?? (firstPod ? createdAt(firstPod) : undefined);
  return {
    input,
    run,
    old,
    now,
    generation: run.metadata.generation ?? 0,
    attempt,
    podName,
    pod,
    attemptRecorded: old.attempt === attempt && old.podName === podName && !record?.completionTime,
    startedAt,
    timeoutMs: parseDuration(run.spec.timeout ?? defaultTimeout) ?? parseDuration(defaultTimeout) ?? 0,
    livePods: pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp),
  };
}

// --- policies, in order ---

const finished: Policy = (ctx) => {
  if (!ctx.old.phase || !finalPhases.has(ctx.old.phase)) return undefined;
  const actions: RunAction[] = stopPods(ctx, 'the run has finished');
  const { run, input } = ctx;
  const ttl =
    run.spec.ttlSecondsAfterFinished ??
    input.pool?.spec.runner?.ttlSecondsAfterFinished ??
    input.config.defaultTtlSeconds;
  let requeueAfterMs: number | undefined;
  if (ttl !== undefined) {
    const dueAt = (parseTime(ctx.old.completionTime) ?? ctx.now) + ttl * 1000;
    if (ctx.now >= dueAt)
      actions.push({ type: 'deleteRun', why: `ttlSecondsAfterFinished (${ttl}s) passed` });
    else requeueAfterMs = dueAt - ctx.now;
  }
  return { status: ctx.old, actions, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
};

const invalid: Policy = (ctx) => {
  const why = ctx.input.invalidSpec;
  if (why === undefined || started(ctx)) return undefined;
  return end(ctx, 'Failed', 'InvalidSpec', `the spec is invalid: ${why}`, []);
};

const rejected: Policy = (ctx) => {
  const why = ctx.input.podRejected;
  if (why === undefined || ctx.pod) return undefined;
  return failAttempt(ctx, {
    kind: 'job',
    reason: 'PodRejected',
    message: `the API server refused pod ${ctx.podName}: ${why}`,
  });
};

/** How often a run whose pod name is taken looks again. */
const nameTakenRecheckMs = 10_000;

const nameTaken: Policy = (ctx) => {
  const why = ctx.input.podNameTaken;
  if (why === undefined || ctx.pod) return undefined;
  const message = `${why}; waiting for the name to be free`;
  return {
    status: pendingStatus(ctx, ctx.startedAt ?? ctx.now, 'PodNameTaken', message),
    actions: [],
    requeueAfterMs: nameTakenRecheckMs,
  };
};

const cancelled: Policy = (ctx) => {
  if (ctx.run.spec.cancelled !== true) return undefined;
  return end(
    ctx,
    'Cancelled',
    'Cancelled',
    'cancelled: spec.cancelled is true',
    stopPods(ctx, 'the run was cancelled'),
  );
};

const refused: Policy = (ctx) => {
  const { admission } = ctx.input;
  if (admission.state !== 'refused' || started(ctx)) return undefined;
  let status = { ...ctx.old };
  status.conditions = setCondition(
    status.conditions,
    { type: 'Admitted', status: 'False', reason: admission.reason, message: admission.message },
    ctx.generation,
    ctx.now,
  );
  status = { ...status, queuePosition: undefined };
  return end({ ...ctx, old: status }, 'Failed', admission.reason, admission.message, []);
};

const queued: Policy = (ctx) => {
  const { admission } = ctx.input;
  if (admission.state !== 'queued' || started(ctx)) return undefined;
  let conditions = setCondition(
    ctx.old.conditions,
    { type: 'Admitted', status: 'False', reason: admission.reason, message: admission.message },
    ctx.generation,
    ctx.now,
  );
  conditions = setCondition(
    conditions,
    {
      type: 'Succeeded',
      status: 'Unknown',
      reason: 'Queued',
      message: 'waiting for the pool to admit the run',
    },
    ctx.generation,
    ctx.now,
  );
  const status: PipelineRunStatus = clean({
    ...ctx.old,
    phase: 'Queued',
    reason: admission.reason,
    message: admission.message,
    queuePosition: admission.position,
    conditions,
    observedGeneration: ctx.generation,
  });
  return { status, actions: [] };
};

const timedOut: Policy = (ctx) => {
  if (ctx.startedAt === undefined || ctx.now < ctx.startedAt + ctx.timeoutMs) return undefined;
  // A pod that ended before the deadline, seen only after it, decides the run: not a timeout.
  const ended = ctx.pod && isTerminal(ctx.pod) ? finishedAt(ctx.pod) : undefined;
  if (ended !== undefined && ended <= ctx.startedAt + ctx.timeoutMs) return undefined;
  const timeout = ctx.run.spec.timeout ?? defaultTimeout;
  return end(
    ctx,
    'TimedOut',
    'TimedOut',
    `the run did not finish within its timeout of ${timeout}`,
    stopPods(ctx, 'the run timed out'),
  );
};

const noPodYet: Policy = (ctx) => {
  if (ctx.pod) return undefined;
  // Only a pod the status has seen (its creation time is in the attempt's record) can have
  // disappeared. A retry's status is written right after its pod is created, and the pod may
  // reach the informer's cache after the run's own update does: then it is created again,
  // the API server answers AlreadyExists, and the controller adopts it.
  const seen = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt)?.startTime !== undefined;
  if (ctx.attemptRecorded && seen) {
    return failAttempt(ctx, {
      kind: 'infrastructure',
      reason: 'PodDeleted',
      message: `pod ${ctx.podName} disappeared before it finished (deleted by someone else, or its node went away)`,
    });
  }
  const previous = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt - 1);
  if (previous?.completionTime) {
    const startAt = (parseTime(previous.completionTime) ?? ctx.now) + retryDelayMs(ctx, previous);
    if (ctx.now < startAt) return { status: ctx.old, actions: [], requeueAfterMs: startAt - ctx.now };
  }
  const pool = ctx.input.pool;
  if (!pool) {
    // A retry whose pool was deleted meanwhile: wait for it to come back.
    const status = {
      ...ctx.old,
      phase: 'Pending' as const,
      reason: 'PoolNotFound',
      message: `NodePool ${ctx.run.spec.pool} does not exist`,
    };
    return { status, actions: [] };
  }
  const startedAt = ctx.startedAt ?? ctx.now;
  const pod = buildRunnerPod({
    run: ctx.run,
    pool,
    attempt: ctx.attempt,
    remainingMs: startedAt + ctx.timeoutMs - ctx.now,
    gitImage: ctx.input.config.gitImage,
  });
  const status = pendingStatus(
    ctx,
    startedAt,
    'Starting',
    `created pod ${ctx.podName} on pool ${pool.metadata.name ?? ''}`,
  );
  return {
    status,
    actions: [{ type: 'createPod', pod, attempt: ctx.attempt }],
    requeueAfterMs: pendingTimeoutMs(ctx),
    // Only the first attempt's Pending is worth deferring; a retry's new attempt is news.
    ...(ctx.attempt === 1 ? { writeNotBefore: ctx.now + pendingWriteDelayMs } : {}),
  };
};

const podGone: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod?.metadata?.deletionTimestamp || isTerminal(pod)) return undefined;
  // Furrow deletes a live pod only after the attempt has ended in status, so this deletion
  // came from elsewhere: an admin, a drain, the pod garbage collector of a vanished node.
  return failAttempt(ctx, {
    kind: 'infrastructure',
    reason: 'PodDeleted',
    message: `pod ${ctx.podName} was deleted before it finished`,
  });
};

const podFinished: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod || !isTerminal(pod)) return undefined;
  if (pod.status?.phase === 'Failed') return failAttempt(ctx, failureOf(ctx.run, pod));
  const steps = stepStatuses(ctx.run, pod, undefined);
  const continued = steps.filter((s) => s.state === 'failed').map((s) => s.name);
  const message =
    continued.length === 0
      ? `all ${steps.length} steps succeeded`
      : `succeeded; step ${continued.join(', ')} failed with onError: continue`;
  const at = finishedAt(pod) ?? ctx.now;
  return end(ctx, 'Succeeded', 'Succeeded', message, [], at);
};

const podPending: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod || hasStarted(pod)) return undefined;
  const since = createdAt(pod) ?? ctx.now;
  const timeout = pendingTimeoutMs(ctx);
  const stuck = stuckReason(pod);
  if (stuck && ctx.now >= since + timeout) return failStuck(ctx, pod, stuck);
  const waiting = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.state?.waiting?.reason)?.state?.waiting;
  const reason =
    stuck?.reason ?? (pod.spec?.nodeName ? (waiting?.reason ?? 'ContainerCreating') : 'Scheduling');
  const message =
    stuck?.message ??
    `pod ${ctx.podName} is ${pod.spec?.nodeName ? `starting on ${pod.spec.nodeName}` : 'waiting for a node'}`;
  const status = pendingStatus(ctx, ctx.startedAt ?? since, reason, message, pod);
  // Wake up at the pending deadline. Past it, only a change of the pod (it starts, or becomes
  // visibly stuck) can change this verdict, and that change is an event: no timer. (A delay of
  // 0 here re-ran the reconcile at once, forever, starving the process.)
  const plan: RunPlan = { status, actions: [] };
  if (ctx.now < since + timeout) plan.requeueAfterMs = since + timeout - ctx.now;
  if (ctx.attempt === 1 && !stuck) plan.writeNotBefore = since + pendingWriteDelayMs;
  return plan;
};

const podRunning: Policy = (ctx) => {
  const pod = ctx.pod;
  if (!pod) return undefined;
  const steps = stepStatuses(ctx.run, pod, undefined);
  // Backstop for step timeouts: the step's wrapper should have stopped it; if it didn't
  // (no shell in the image, a hung wrapper), the operator ends the attempt.
  let nextCheck = ctx.startedAt !== undefined ? ctx.startedAt + ctx.timeoutMs - ctx.now : undefined;
  for (const step of ctx.run.spec.steps) {
    const s = steps.find((x) => x.name === step.name);
    const limit = step.timeout !== undefined ? parseDuration(step.timeout) : undefined;
    const began = parseTime(s?.startedAt);
    if (s?.state !== 'running' || limit === undefined || began === undefined) continue;
    const stopAt = began + limit + stepTimeoutGraceMs;
    if (ctx.now >= stopAt) {
      // The step failed, as if its wrapper had stopped it; the steps after it are skipped.
      const timedOut: StepStatus = {
        ...s,
        state: 'failed',
        reason: 'TimedOut',
        message: `ran longer than its timeout (${step.timeout ?? ''})`,
      };
      return failAttempt(
        ctx,
        {
          kind: 'job',
          reason: 'StepTimedOut',
          message: `step ${step.name} ran longer than its timeout (${step.timeout ?? ''})`,
        },
        [{ type: 'deletePod', pod, gracePeriodSeconds: stopGracePeriodSeconds, why: 'step timed out' }],
        stepStatuses(ctx.run, pod, 'StepTimedOut').map((x) => (x.name === step.name ? timedOut : x)),
      );
    }
    nextCheck = Math.min(nextCheck ?? Infinity, stopAt - ctx.now);
  }
  // Each container's image is pulled when its turn comes, so a later step (or a second
  // service) can be stuck on its image too: since the kubelet moved on to it, at the latest.
  const stuck = stuckReason(pod);
  if (stuck) {
    const stuckAt = (lastContainerChange(pod) ?? createdAt(pod) ?? ctx.now) + pendingTimeoutMs(ctx);
    if (ctx.now >= stuckAt) return failStuck(ctx, pod, stuck);
    nextCheck = Math.min(nextCheck ?? Infinity, stuckAt - ctx.now);
  }
  const running = currentStep(steps);
  let conditions = admittedConditions(ctx);
  conditions = setCondition(
    conditions,
    {
      type: 'Succeeded',
      status: 'Unknown',
      reason: 'Running',
      message: running ? `step ${running} is running` : 'the runner pod is running',
    },
    observedGeneration(ctx),
    ctx.now,
  );
  const status: PipelineRunStatus = clean({
    ...ctx.old,
    phase: 'Running',
    reason: 'Running',
    message: running ? `step ${running} is running` : `pod ${ctx.podName} is running`,
    conditions,
    podName: ctx.podName,
    nodeName: pod.spec?.nodeName,
    startTime: formatTime(ctx.startedAt ?? createdAt(pod) ?? ctx.now),
    attempt: ctx.attempt,
    currentStep: running,
    queuePosition: undefined,
    observedGeneration: observedGeneration(ctx),
    steps,
    attempts: upsertAttempt(ctx.old.attempts, attemptRecord(ctx, pod)),
  });
  return {
    status,
    actions: [],
    ...(nextCheck !== undefined ? { requeueAfterMs: Math.max(0, nextCheck) } : {}),
  };
};

const policies: Policy[] = [
  finished,
  invalid,
  rejected,
  nameTaken,
  cancelled,
  refused,
  queued,
  timedOut,
  noPodYet,
  podGone,
  podFinished,
  podPending,
  podRunning,
];

// --- building blocks ---

/** The run has been admitted once: it has (or had) a pod. */
function started(ctx: Context): boolean {
  return ctx.startedAt !== undefined || ctx.old.attempt !== undefined || ctx.input.pods.length > 0;
}

function stopPods(ctx: Context, why: string): RunAction[] {
  return ctx.livePods.map((pod) => ({
    type: 'deletePod',
    pod,
    gracePeriodSeconds: stopGracePeriodSeconds,
    why,
  }));
}

function pendingTimeoutMs(ctx: Context): number {
  const fromPool = ctx.input.pool?.spec.runner?.pendingTimeout;
  return (
    (fromPool !== undefined ? parseDuration(fromPool) : undefined) ?? ctx.input.config.defaultPendingTimeoutMs
  );
}

/** A pod stuck (unschedulable, an image it can't pull) for the pending timeout: give up on it. */
function failStuck(ctx: Context, pod: Pod, stuck: Failure): RunPlan {
  const timeout = formatDuration(pendingTimeoutMs(ctx));
  return failAttempt(ctx, { ...stuck, message: `${stuck.message} (pending for more than ${timeout})` }, [
    { type: 'deletePod', pod, gracePeriodSeconds: 0, why: stuck.reason },
  ]);
}

function observedGeneration(ctx: Context): number {
  const fromPod = Number(ctx.pod?.metadata?.annotations?.[generationAnnotation]);
  return Number.isInteger(fromPod) && fromPod > 0 ? fromPod : ctx.generation;
}

function admittedConditions(ctx: Context): PipelineRunStatus['conditions'] {
  return setCondition(
    ctx.old.conditions,
    {
      type: 'Admitted',
      status: 'True',
      reason: 'Admitted',
      message: `admitted to NodePool ${ctx.run.spec.pool}`,
    },
    observedGeneration(ctx),
    ctx.now,
  );
}

function attemptRecord(
  ctx: Context,
  pod: Pod | undefined,
  ended?: { phase: Phase; reason: string; message: string; at: number; counts: boolean },
): AttemptStatus {
  const created = pod ? createdAt(pod) : undefined;
  const previous = ctx.old.attempts?.find((a) => a.attempt === ctx.attempt);
  return clean({
    attempt: ctx.attempt,
    podName: ctx.podName,
    nodeName: pod?.spec?.nodeName ?? previous?.nodeName,
    startTime: created !== undefined ? formatTime(created) : previous?.startTime,
    ...(ended
      ? {
          completionTime: formatTime(ended.at),
          phase: ended.phase,
          reason: ended.reason,
          message: ended.message,
          ...(ended.phase === 'Failed' ? { countsAgainstLimit: ended.counts } : {}),
        }
      : { phase: hasStarted(pod ?? {}) ? ('Running' as const) : ('Pending' as const) }),
  });
}

function upsertAttempt(list: AttemptStatus[] | undefined, record: AttemptStatus): AttemptStatus[] {
  const others = (list ?? []).filter((a) => a.attempt !== record.attempt);
  return [...others, record].sort((a, b) => a.attempt - b.attempt);
}

function pendingStatus(
  ctx: Context,
  startedAt: number,
  reason: string,
  message: string,
  pod?: Pod,
): PipelineRunStatus {
  let conditions = admittedConditions(ctx);
  conditions = setCondition(
    conditions,
    { type: 'Succeeded', status: 'Unknown', reason: 'Pending', message },
    observedGeneration(ctx),
    ctx.now,
  );
  return clean({
    ...ctx.old,
    phase: 'Pending',
    reason,
    message,
    conditions,
    podName: ctx.podName,
    nodeName: pod?.spec?.nodeName,
    startTime: formatTime(startedAt),
    attempt: ctx.attempt,
    currentStep: undefined,
    queuePosition: undefined,
    observedGeneration: observedGeneration(ctx),
    steps: stepStatuses(ctx.run, pod, undefined),
    attempts: upsertAttempt(ctx.old.attempts, attemptRecord(ctx, pod)),
  });
}

function retryDelayMs(ctx: Context, failed: AttemptStatus): number {
  if (failed.countsAgainstLimit === false) return 0;
  const counted = (ctx.old.attempts ?? []).filter(
    (a) => a.countsAgainstLimit !== false && a.completionTime,
  ).length;
  const base = parseDuration(ctx.run.spec.retries?.backoff ?? defaultBackoff) ?? 10_000;
  return Math.min(maxBackoffMs, base * 2 ** Math.max(0, counted - 1));
}

/** The current attempt failed: retry it if the limits allow, or end the run Failed. */
function failAttempt(
  ctx: Context,
  failure: Failure,
  actions: RunAction[] = [],
  steps = stepStatuses(ctx.run, ctx.pod, failure.reason),
): RunPlan {
  const pod = ctx.pod;
  const record = attemptRecord(ctx, pod, {
    phase: 'Failed',
    reason: failure.reason,
    message: failure.message,
    at: ctx.now,
    counts: failure.kind === 'job',
  });
  const attempts = upsertAttempt(ctx.old.attempts, record);
  const jobFailures = attempts.filter((a) => a.countsAgainstLimit === true).length;
  const infraFailures = attempts.filter((a) => a.countsAgainstLimit === false).length;
  const limit = ctx.run.spec.retries?.limit ?? 0;
  const canRetry =
    failure.kind === 'job'
      ? jobFailures <= limit
      : infraFailures <= ctx.input.config.maxInfrastructureRetries;
  const withHistory: Context = { ...ctx, old: { ...ctx.old, attempts } };
  if (!canRetry) {
    const gaveUp =
      failure.kind === 'job'
        ? limit > 0
          ? ` (after ${jobFailures} attempts)`
          : ''
        : ` (gave up after ${infraFailures} infrastructure failures)`;
    return end(withHistory, 'Failed', failure.reason, failure.message + gaveUp, actions, ctx.now, steps);
  }
  const delay = retryDelayMs(withHistory, record);
  const message = `attempt ${ctx.attempt} failed: ${failure.message}; attempt ${ctx.attempt + 1} starts ${delay > 0 ? `in ${formatDuration(delay)}` : 'now'}`;
  let conditions = admittedConditions(ctx);
  conditions = setCondition(
    conditions,
    { type: 'Succeeded', status: 'Unknown', reason: 'Retrying', message },
    observedGeneration(ctx),
    ctx.now,
  );
  const status: PipelineRunStatus = clean({
    ...ctx.old,
    phase: 'Pending',
    reason: 'Retrying',
    message,
    conditions,
    podName: ctx.podName,
    nodeName: pod?.spec?.nodeName ?? ctx.old.nodeName,
    startTime: formatTime(ctx.startedAt ?? ctx.now),
    attempt: ctx.attempt,
    currentStep: undefined,
    observedGeneration: observedGeneration(ctx),
    steps,
    attempts,
  });
  return { status, actions, requeueAfterMs: delay };
}

/** A final status. Steps that didn't finish are skipped; the current attempt is closed. */
function end(
  ctx: Context,
  phase: Phase,
  reason: string,
  message: string,
  actions: RunAction[],
  at: number = ctx.now,
  steps = stepStatuses(ctx.run, ctx.pod, phase === 'Succeeded' ? undefined : reason),
): RunPlan {
  const succeeded = phase === 'Succeeded';
  // A cancellation acts on the generation that set spec.cancelled, not the pod's.
  const generation = started(ctx) && phase !== 'Cancelled' ? observedGeneration(ctx) : ctx.generation;
  let conditions = ctx.old.conditions;
  if (started(ctx) && phase !== 'Cancelled') conditions = admittedConditions(ctx);
  conditions = setCondition(
    conditions,
    { type: 'Succeeded', status: succeeded ? 'True' : 'False', reason, message },
    generation,
    ctx.now,
  );
  const attemptOpen = ctx.pod !== undefined || ctx.attemptRecorded;
  const attempts = attemptOpen
    ? upsertAttempt(
        ctx.old.attempts,
        ctx.old.attempts?.find((a) => a.attempt === ctx.attempt && a.completionTime) ??
          attemptRecord(ctx, ctx.pod, { phase, reason, message, at, counts: phase === 'Failed' }),
      )
    : ctx.old.attempts;
  const startTime = ctx.startedAt !== undefined ? formatTime(ctx.startedAt) : undefined;
  const status: PipelineRunStatus = clean({
    ...ctx.old,
    phase,
    reason,
    message,
    conditions,
    podName: attemptOpen ? ctx.podName : ctx.old.podName,
    nodeName: ctx.pod?.spec?.nodeName ?? ctx.old.nodeName,
    startTime,
    completionTime: formatTime(at),
    duration: ctx.startedAt !== undefined ? formatDuration(Math.max(0, at - ctx.startedAt)) : undefined,
    attempt: attemptOpen ? ctx.attempt : ctx.old.attempt,
    currentStep: currentStep(steps),
    queuePosition: undefined,
    observedGeneration: generation,
    steps: started(ctx) ? steps : undefined,
    attempts,
  });
  return { status, actions };
}
