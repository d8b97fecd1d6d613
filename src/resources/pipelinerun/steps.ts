// Per-step status of the current attempt, read from its pod's container statuses.
import type { ContainerStatus, Pod } from '../../kube/json.ts';
import { needsWrapper, parseWrapperReport } from '../runner-pod/step-wrapper.ts';
import type { PipelineRun, StepStatus } from '../types.ts';
import { containerStatuses } from './pod-reading.ts';
import { defined, formatTime, parseTime } from '../api.ts';

const time = (text: string | undefined): string | undefined => {
  const ms = parseTime(text);
  return ms === undefined ? undefined : formatTime(ms);
};

/**
 * `ended` says why unfinished steps will never run (the pod failed, the run was cancelled or
 * timed out): they are reported skipped with that reason. Otherwise they are waiting.
 */
export function stepStatuses(
  run: PipelineRun,
  pod: Pod | undefined,
  ended: string | undefined,
): StepStatus[] {
  const statuses = pod ? containerStatuses(pod) : new Map<string, ContainerStatus>();
  return run.spec.steps.map((step): StepStatus => {
    const state = statuses.get(step.name)?.state;
    const terminated = state?.terminated;
    if (terminated) {
      const report = needsWrapper(step) ? parseWrapperReport(terminated.message) : undefined;
      const exitCode = report?.exitCode ?? terminated.exitCode;
      const failed = exitCode !== 0;
      // The kubelet's reason describes the container's exit, which the wrapper turns into 0
      // for onError: continue: it doesn't describe the step then.
      const kubeletReason = exitCode === terminated.exitCode ? terminated.reason : undefined;
      return defined<StepStatus>({
        name: step.name,
        state: failed ? 'failed' : 'succeeded',
        exitCode,
        startedAt: time(terminated.startedAt),
        finishedAt: time(terminated.finishedAt),
        reason: report?.timedOut ? 'TimedOut' : (kubeletReason ?? (failed ? 'Error' : 'Completed')),
        message: report?.timedOut
          ? `ran longer than its timeout (${step.timeout ?? ''})`
          : failed
            ? `exited with code ${exitCode}${step.onError === 'continue' ? '; onError: continue, the run went on' : ''}`
            : undefined,
      });
    }
    if (state?.running && !ended) {
      return defined<StepStatus>({
        name: step.name,
        state: 'running',
        startedAt: time(state.running.startedAt),
      });
    }
    if (ended) return { name: step.name, state: 'skipped', reason: ended };
    const waiting = state?.waiting;
    return defined<StepStatus>({
      name: step.name,
      state: 'waiting',
      reason: waiting?.reason,
      message: waiting?.message,
    });
  });
}

/** The step to show in `kubectl get prun -o wide`: the running one, else the one that failed. */
export function currentStep(steps: StepStatus[]): string | undefined {
  return (steps.find((s) => s.state === 'running') ?? steps.find((s) => s.state === 'failed'))?.name;
}
