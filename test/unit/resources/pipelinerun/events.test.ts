// The Events a status transition records on the run: `kubectl describe prun` tells its story.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transitionEvents } from '../../../../src/resources/pipelinerun/events.ts';
import type { PipelineRunStatus, StepStatus } from '../../../../src/resources/types.ts';

const cond = (type: string, status: 'True' | 'False' | 'Unknown', message = '') => ({
  type,
  status,
  reason: 'R',
  message,
  lastTransitionTime: '2025-06-02T10:00:00Z',
});
const admitted = cond('Admitted', 'True', 'admitted to NodePool peasant');
const notAdmitted = cond('Admitted', 'False');
const steps = (...states: StepStatus['state'][]): StepStatus[] =>
  states.map((state, i) => ({
    name: `s${i + 1}`,
    state,
    ...(state === 'failed' ? { message: 'exited with code 3' } : {}),
  }));

const queued: PipelineRunStatus = {
  phase: 'Queued',
  reason: 'PoolAtCapacity',
  message: 'NodePool peasant is full',
  conditions: [notAdmitted],
};
const pending: PipelineRunStatus = {
  phase: 'Pending',
  reason: 'Starting',
  attempt: 1,
  podName: 'app-1',
  conditions: [admitted],
  steps: steps('waiting', 'waiting'),
};
const runningStatus: PipelineRunStatus = {
  ...pending,
  phase: 'Running',
  reason: 'Running',
  nodeName: 'node-1',
  steps: steps('running', 'waiting'),
};

test('each transition records the Events that tell it', () => {
  const cases: { name: string; old: PipelineRunStatus; next: PipelineRunStatus; want: string[] }[] = [
    { name: 'queued', old: {}, next: queued, want: ['Normal Queued: NodePool peasant is full'] },
    { name: 'still queued, same reason', old: queued, next: { ...queued, queuePosition: 3 }, want: [] },
    {
      name: 'queued for another reason',
      old: queued,
      next: { ...queued, reason: 'NoReadyNodes', message: 'NodePool peasant has no ready node' },
      want: ['Normal Queued: NodePool peasant has no ready node'],
    },
    { name: 'admitted', old: queued, next: pending, want: ['Normal Admitted: admitted to NodePool peasant'] },
    {
      name: 'admitted and started in one write (the Pending write was saved)',
      old: {},
      next: runningStatus,
      want: [
        'Normal Admitted: admitted to NodePool peasant',
        'Normal Started: attempt 1: pod app-1 started on node node-1',
      ],
    },
    {
      name: 'started',
      old: pending,
      next: runningStatus,
      want: ['Normal Started: attempt 1: pod app-1 started on node node-1'],
    },
    {
      name: 'running on',
      old: runningStatus,
      next: { ...runningStatus, steps: steps('succeeded', 'running') },
      want: [],
    },
    {
      name: 'a step failed with onError: continue',
      old: runningStatus,
      next: { ...runningStatus, steps: steps('failed', 'running') },
      want: ['Warning StepFailed: step s1 exited with code 3'],
    },
    {
      name: 'the failed step is told once',
      old: { ...runningStatus, steps: steps('failed', 'running') },
      next: { ...runningStatus, steps: steps('failed', 'succeeded') },
      want: [],
    },
    {
      name: 'a step failed and the run retries',
      old: runningStatus,
      next: {
        ...runningStatus,
        phase: 'Pending',
        reason: 'Retrying',
        message: 'attempt 1 failed; attempt 2 starts in 10s',
        steps: steps('failed', 'skipped'),
      },
      want: [
        'Warning StepFailed: step s1 exited with code 3',
        'Warning Retrying: attempt 1 failed; attempt 2 starts in 10s',
      ],
    },
    {
      name: 'attempt 2 started',
      old: { ...pending, attempt: 2, podName: 'app-2' },
      next: { ...runningStatus, attempt: 2, podName: 'app-2' },
      want: ['Normal Started: attempt 2: pod app-2 started on node node-1'],
    },
    {
      name: 'the same step fails in attempt 2: told again',
      old: { ...runningStatus, attempt: 1, steps: steps('failed', 'skipped') },
      next: { ...runningStatus, attempt: 2, podName: 'app-2', steps: steps('failed', 'skipped') },
      want: [
        'Normal Started: attempt 2: pod app-2 started on node node-1',
        'Warning StepFailed: step s1 exited with code 3',
      ],
    },
    {
      name: 'succeeded',
      old: runningStatus,
      next: {
        ...runningStatus,
        phase: 'Succeeded',
        reason: 'Succeeded',
        message: 'all 2 steps succeeded',
        steps: steps('succeeded', 'succeeded'),
      },
      want: ['Normal Succeeded: all 2 steps succeeded'],
    },
    {
      name: 'failed',
      old: runningStatus,
      next: {
        ...runningStatus,
        phase: 'Failed',
        reason: 'StepFailed',
        message: 'step s2 exited with code 3',
        steps: steps('succeeded', 'failed'),
      },
      want: ['Warning StepFailed: step s2 exited with code 3', 'Warning Failed: step s2 exited with code 3'],
    },
    {
      name: 'refused by the pool',
      old: {},
      next: {
        phase: 'Failed',
        reason: 'PoolNotAllowed',
        message: 'NodePool peasant does not admit runs from namespace x',
        conditions: [notAdmitted],
      },
      want: ['Warning Failed: NodePool peasant does not admit runs from namespace x'],
    },
    {
      name: 'cancelled',
      old: runningStatus,
      next: {
        ...runningStatus,
        phase: 'Cancelled',
        reason: 'Cancelled',
        message: 'cancelled: spec.cancelled is true',
      },
      want: ['Normal Cancelled: cancelled: spec.cancelled is true'],
    },
    {
      name: 'cancelled while queued: no Admitted',
      old: queued,
      next: {
        ...queued,
        phase: 'Cancelled',
        reason: 'Cancelled',
        message: 'cancelled: spec.cancelled is true',
      },
      want: ['Normal Cancelled: cancelled: spec.cancelled is true'],
    },
    {
      name: 'timed out',
      old: runningStatus,
      next: {
        ...runningStatus,
        phase: 'TimedOut',
        reason: 'TimedOut',
        message: 'the run did not finish within its timeout of 10m',
      },
      want: ['Warning TimedOut: the run did not finish within its timeout of 10m'],
    },
    { name: 'nothing changed', old: runningStatus, next: runningStatus, want: [] },
  ];
  for (const c of cases) {
    const got = transitionEvents(c.old, c.next).map((e) => `${e.type} ${e.reason}: ${e.note}`);
    assert.deepEqual(got, c.want, c.name);
  }
});
