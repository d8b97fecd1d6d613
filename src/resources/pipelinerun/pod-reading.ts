// What a runner pod says about its attempt: started or not, stuck and why, finished and
// whether the job or the infrastructure failed it.
import type { ContainerStatus, Pod } from '../../kube/json.ts';
import { checkoutContainer } from '../runner-pod/constants.ts';
import type { PipelineRun } from '../types.ts';
import { parseWrapperReport, needsWrapper } from '../runner-pod/step-wrapper.ts';
import { parseTime } from '../api.ts';

export interface Failure {
  /** Counts against retries.limit unless the infrastructure caused it. */
  kind: 'job' | 'infrastructure';
  reason: string;
  message: string;
  /**
   * How long a pod may stay stuck this way before its attempt fails; the pool's pendingTimeout
   * when unset.
   */
  graceMs?: number;
}

/** Every container status of the pod, init containers first, by container name. */
export function containerStatuses(pod: Pod): Map<string, ContainerStatus> {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return new Map(all.map((s) => [s.name, s]));
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** A container runs or ran: the pod got a node and its kubelet started it. */
export function hasStarted(pod: Pod): boolean {
  for (const s of containerStatuses(pod).values()) {
    if (s.state?.running || s.state?.terminated) return true;
  }
  return false;
}

export function createdAt(pod: Pod): number | undefined {
  return parseTime(pod.metadata?.creationTimestamp);
}

/** When the last container ended (for a finished pod). */
export function finishedAt(pod: Pod): number | undefined {
  let latest: number | undefined;
  for (const s of containerStatuses(pod).values()) {
    const t = parseTime(s.state?.terminated?.finishedAt);
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

/**
 * The last time a container started or ended: when the kubelet last moved on. A container
 * still waiting to start has waited since then at most.
 */
export function lastContainerChange(pod: Pod): number | undefined {
  let latest: number | undefined;
  for (const s of containerStatuses(pod).values()) {
    for (const text of [s.state?.running?.startedAt, s.state?.terminated?.finishedAt]) {
      const t = parseTime(text);
      if (t !== undefined && (latest === undefined || t > latest)) latest = t;
    }
  }
  return latest;
}

const imagePullReasons = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);

/**
 * Why a pod (or its next container) can't start, if it visibly can't. With the run, the
 * container is named as the run names it (step, service, the checkout).
 */
export function stuckReason(pod: Pod, run?: PipelineRun): Failure | undefined {
  for (const s of containerStatuses(pod).values()) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && imagePullReasons.has(waiting.reason)) {
      return {
        kind: 'job',
        reason: 'ImagePullFailed',
        message: `container ${s.name} can't pull image ${s.image}: ${waiting.message ?? waiting.reason}`,
      };
    }
    if (waiting?.reason === 'CreateContainerConfigError') {
      return configError(s, run, waiting.message ?? waiting.reason);
    }
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  // Room is the one cause that waiting fixes: admission counts capacity (ADR 9), so this is a
  // race with a pod admission didn't know of yet, and the pod waits as Pending, not charged
  // to the run's retries. Any other cause (no node matches, a taint) fails the attempt.
  if (
    scheduled?.status === 'False' &&
    scheduled.reason === 'Unschedulable' &&
    !onlyShortOfRoom(scheduled.message)
  ) {
    return {
      kind: 'job',
      reason: 'Unschedulable',
      message: scheduled.message ?? 'no node of the pool can take the pod',
    };
  }
  return undefined;
}

/**
 * How long a container may wait on a missing Secret or ConfigMap (or a missing key in one).
 * The kubelet retries every ~10 s and starts the container once the object appears, so this
 * covers a Secret applied together with the run (`kubectl apply -f dir/` may create the run
 * first) and not much more: Tekton fails a TaskRun at the first CreateContainerConfigError,
 * and a typo in a Secret's name shouldn't hold a runner for the pending timeout.
 */
export const configMissingGraceMs = 30_000;

/**
 * The kubelet's CreateContainerConfigError, read. The job's configuration, never the
 * infrastructure's, so it counts against retries.limit, as ImagePullFailed does.
 */
function configError(status: ContainerStatus, run: PipelineRun | undefined, message: string): Failure {
  const container = containerLabel(status.name, run);
  // `secret "x" not found`, `configmap "x" not found`, `couldn't find key k in Secret ns/x`.
  if (/^(secret|configmap) ".*" not found|^couldn't find key .* in (Secret|ConfigMap) /.test(message)) {
    return {
      kind: 'job',
      reason: 'ConfigMissing',
      message: `${container}: ${message}`,
      graceMs: configMissingGraceMs,
    };
  }
  // "container has runAsNonRoot and image will run as root (pod: ..., container: ...)", or
  // "... and image has non-numeric user (x), cannot verify user is non-root (...)": the image
  // won't change while the pod waits, so the attempt fails at once.
  if (/runAsNonRoot|non-root/.test(message)) {
    const what = /will run as root/.test(message)
      ? 'runs as root'
      : `has a user the kubelet can't check is not root (${message.replace(/ \(pod: .*$/, '')})`;
    const fix =
      status.name === checkoutContainer
        ? 'run the operator with a --git-image whose USER is a numeric uid other than 0'
        : 'give the image a numeric USER other than 0, or use a pool without runAsNonRoot';
    return {
      kind: 'job',
      reason: 'RunsAsRoot',
      message: `${container}: image ${status.image} ${what}, and the pool sets runner.runAsNonRoot: ${fix}`,
      graceMs: 0,
    };
  }
  // Anything else (a subPath it can't prepare, the kubelet's Secret cache not synced yet):
  // waited on for the pending timeout.
  return { kind: 'job', reason: 'ContainerConfigError', message: `${container}: ${message}` };
}

/** A container as the run names it. */
function containerLabel(name: string, run: PipelineRun | undefined): string {
  if (name === checkoutContainer) return `the checkout (container ${name})`;
  if (run?.spec.steps.some((s) => s.name === name)) return `step ${name}`;
  if (run?.spec.services?.some((s) => s.name === name)) return `service ${name}`;
  return `container ${name}`;
}

/** The scheduler's message, when the pod waits for room on the pool's nodes (not stuck). */
export function roomShortage(pod: Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined;
  return onlyShortOfRoom(scheduled.message) ? scheduled.message : undefined;
}

/**
 * Whether the scheduler's message blames only room: "0/3 nodes are available: 3 Insufficient
 * cpu." or "... Too many pods." Nodes refused for other reasons (a taint, the selector) are
 * outside the pool, so they don't count against it, as long as some node is short of room.
 */
export function onlyShortOfRoom(message: string | undefined): boolean {
  if (!message) return false;
  // The list of reasons ends at its first full stop; what follows is about preemption and
  // dynamic resources ("no new claims to deallocate, preemption: ..."). A resource name may
  // hold a dot (nvidia.com/gpu), never a dot and a space.
  const reasons = message.replace(/^0\/\d+ nodes are available: /, '').split(/\.(\s|$)/)[0] ?? '';
  const short = /\d+ (Insufficient [\w./-]+|Too many pods)/g;
  if (!short.test(reasons)) return false;
  // Every other reason must be about nodes outside the pool: its selector or taints.
  const rest = reasons
    .replace(short, '')
    .split(',')
    .map((r) => r.trim().replace(/\.$/, ''))
    .filter((r) => r !== '');
  return rest.every((r) => /didn't match Pod's node affinity\/selector|untolerated taint/.test(r));
}

/** Pod-level reasons the kubelet or the control plane give when they, not the job, ended a pod. */
const infrastructureReasons = new Set([
  'Evicted',
  'Preempting',
  'NodeLost',
  'NodeShutdown',
  'Shutdown',
  'Terminated',
  'UnexpectedAdmissionError',
  'NodeAffinity',
]);

/** Why a Failed pod failed. */
export function failureOf(run: PipelineRun, pod: Pod): Failure {
  const disruption = pod.status?.conditions?.find(
    (c) => c.type === 'DisruptionTarget' && c.status === 'True',
  );
  if (disruption) {
    return {
      kind: 'infrastructure',
      reason: disruption.reason ?? 'Disrupted',
      message: `pod ${pod.metadata?.name ?? ''} was disrupted: ${disruption.message ?? disruption.reason ?? ''}`,
    };
  }
  const podReason = pod.status?.reason;
  if (podReason && (infrastructureReasons.has(podReason) || podReason.startsWith('OutOf'))) {
    return {
      kind: 'infrastructure',
      reason: podReason,
      message: `pod ${pod.metadata?.name ?? ''} failed on its node: ${pod.status?.message ?? podReason}`,
    };
  }
  if (podReason === 'DeadlineExceeded') {
    return { kind: 'job', reason: 'TimedOut', message: 'the pod reached its activeDeadlineSeconds' };
  }
  const statuses = containerStatuses(pod);
  const checkout = statuses.get(checkoutContainer)?.state?.terminated;
  if (checkout && checkout.exitCode !== 0) {
    return {
      kind: 'job',
      reason: 'CheckoutFailed',
      // The checkout's termination message: a missing credential key, or git's last words.
      message: `checking out the source failed (exit code ${checkout.exitCode})${checkout.message?.trim() ? `: ${checkout.message.trim()}` : ''}`,
    };
  }
  for (const step of run.spec.steps) {
    const terminated = statuses.get(step.name)?.state?.terminated;
    if (!terminated) continue;
    const report = needsWrapper(step) ? parseWrapperReport(terminated.message) : undefined;
    const code = report?.exitCode ?? terminated.exitCode;
    if (code === 0 || step.onError === 'continue') continue;
    if (report?.timedOut) {
      return {
        kind: 'job',
        reason: 'StepTimedOut',
        message: `step ${step.name} ran longer than its timeout (${step.timeout ?? ''})`,
      };
    }
    const how = terminated.reason === 'OOMKilled' ? ' (out of memory)' : '';
    return { kind: 'job', reason: 'StepFailed', message: `step ${step.name} exited with code ${code}${how}` };
  }
  return {
    kind: 'infrastructure',
    reason: 'PodFailed',
    message: `pod ${pod.metadata?.name ?? ''} failed without a failing step: ${pod.status?.message ?? podReason ?? 'no reason given'}`,
  };
}
