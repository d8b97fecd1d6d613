// The Kubernetes Events a status transition tells, so `kubectl describe prun` reads as the
// run's story. Pure: old status + new status → events.
import type { PipelineRunStatus } from '../types.ts';

export interface RunEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

export function transitionEvents(old: PipelineRunStatus, next: PipelineRunStatus): RunEvent[] {
  const events: RunEvent[] = [];
  const was = old.phase;
  const is = next.phase;
  const admittedBefore = old.conditions?.find((c) => c.type === 'Admitted')?.status === 'True';
  const admittedNow = next.conditions?.find((c) => c.type === 'Admitted')?.status === 'True';

  if (is === 'Queued' && (was !== 'Queued' || old.reason !== next.reason)) {
    events.push({ type: 'Normal', reason: 'Queued', note: next.message ?? 'waiting for the pool' });
  }
  if (admittedNow && !admittedBefore) {
    events.push({
      type: 'Normal',
      reason: 'Admitted',
      note: next.conditions?.find((c) => c.type === 'Admitted')?.message ?? 'admitted',
    });
  }
  if (is === 'Running' && (was !== 'Running' || old.attempt !== next.attempt)) {
    events.push({
      type: 'Normal',
      reason: 'Started',
      note: `attempt ${next.attempt ?? 1}: pod ${next.podName ?? ''} started on node ${next.nodeName ?? ''}`,
    });
  }
  for (const step of next.steps ?? []) {
    const before = old.steps?.find((s) => s.name === step.name);
    if (step.state === 'failed' && (before?.state !== 'failed' || old.attempt !== next.attempt)) {
      events.push({
        type: 'Warning',
        reason: 'StepFailed',
        note: `step ${step.name} ${step.message ?? 'failed'}`,
      });
    }
  }
  if (next.reason === 'Retrying' && (old.reason !== 'Retrying' || old.attempt !== next.attempt)) {
    events.push({ type: 'Warning', reason: 'Retrying', note: next.message ?? 'retrying' });
  }
  if (is !== was) {
    const note = next.message ?? '';
    if (is === 'Succeeded') events.push({ type: 'Normal', reason: 'Succeeded', note });
    if (is === 'Failed') events.push({ type: 'Warning', reason: 'Failed', note });
    if (is === 'Cancelled') events.push({ type: 'Normal', reason: 'Cancelled', note });
    if (is === 'TimedOut') events.push({ type: 'Warning', reason: 'TimedOut', note });
  }
  return events;
}
