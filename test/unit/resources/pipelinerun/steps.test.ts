// Per-step status from the pod's container states, and the step `kubectl get prun -o wide` shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentStep, stepStatuses } from '../../../../src/resources/pipelinerun/steps.ts';
import type { Step, StepStatus } from '../../../../src/resources/types.ts';
import {
  iso,
  makePod,
  makeRun,
  running,
  terminated,
  waiting,
  wrapperReport,
  type ContainerState,
} from '../../../support/builders.ts';

/** One step named "s" in the given state (behind a finished checkout), as stepStatuses sees it. */
function one(step: Partial<Step>, state: ContainerState | undefined, ended?: string): StepStatus | undefined {
  const run = makeRun({
    spec: {
      steps: [
        { name: 's', command: ['make'], ...step },
        { name: 'last', command: ['true'] },
      ],
    },
  });
  const pod = makePod(run, {
    created: 0,
    nodeName: 'n',
    states: { 'furrow-checkout': terminated(0, 1, 2), ...(state ? { s: state } : {}) },
  });
  return stepStatuses(run, pod, ended)[0];
}

/** The times of a step that ran from 5 s to 9 s (or 7 s) after T0, as stepStatuses writes them. */
const from5to9 = { startedAt: iso(5), finishedAt: iso(9) };
const from5to7 = { startedAt: iso(5), finishedAt: iso(7) };

test('a step’s status follows its container’s state', () => {
  const cases: {
    name: string;
    step?: Partial<Step>;
    state?: ContainerState;
    ended?: string;
    want: StepStatus;
  }[] = [
    {
      name: 'not started: waiting, with the kubelet’s reason',
      state: waiting('PodInitializing'),
      want: { name: 's', state: 'waiting', reason: 'PodInitializing' },
    },
    {
      name: 'waiting with a message',
      state: waiting('ErrImagePull', 'pull access denied'),
      want: { name: 's', state: 'waiting', reason: 'ErrImagePull', message: 'pull access denied' },
    },
    {
      name: 'running',
      state: running(5),
      want: { name: 's', state: 'running', startedAt: '2025-06-02T10:00:05Z' },
    },
    {
      name: 'exited 0',
      state: terminated(0, 5, 9),
      want: {
        name: 's',
        state: 'succeeded',
        exitCode: 0,
        ...from5to9,
        reason: 'Completed',
      },
    },
    {
      name: 'exited 2',
      state: terminated(2, 5, 9),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 2,
        ...from5to9,
        reason: 'Error',
        message: 'exited with code 2',
      },
    },
    {
      name: 'killed for memory',
      state: terminated(137, 5, 9, { reason: 'OOMKilled' }),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 137,
        ...from5to9,
        reason: 'OOMKilled',
        message: 'exited with code 137',
      },
    },
    {
      name: 'onError: continue: the wrapper’s exit code, not the container’s 0',
      step: { onError: 'continue' },
      state: terminated(0, 5, 9, { message: wrapperReport(3) }),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 3,
        ...from5to9,
        reason: 'Error',
        message: 'exited with code 3; onError: continue, the run went on',
      },
    },
    {
      name: 'onError: continue and the step succeeded',
      step: { onError: 'continue' },
      state: terminated(0, 5, 9, { message: wrapperReport(0) }),
      want: {
        name: 's',
        state: 'succeeded',
        exitCode: 0,
        ...from5to9,
        reason: 'Completed',
      },
    },
    {
      name: 'the wrapper stopped it at its timeout',
      step: { timeout: '2s' },
      state: terminated(124, 5, 7, { message: wrapperReport(124, true) }),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 124,
        ...from5to7,
        reason: 'TimedOut',
        message: 'ran longer than its timeout (2s)',
      },
    },
    {
      name: 'timed out with onError: continue: failed, though the container exited 0',
      step: { timeout: '2s', onError: 'continue' },
      state: terminated(0, 5, 7, { message: wrapperReport(124, true) }),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 124,
        ...from5to7,
        reason: 'TimedOut',
        message: 'ran longer than its timeout (2s)',
      },
    },
    {
      name: 'a wrapper report on an unwrapped step is the step’s own output: ignored',
      state: terminated(0, 5, 9, { message: wrapperReport(3) }),
      want: {
        name: 's',
        state: 'succeeded',
        exitCode: 0,
        ...from5to9,
        reason: 'Completed',
      },
    },
    {
      name: 'a wrapped step that died before reporting (killed): the container’s exit code',
      step: { timeout: '1m' },
      state: terminated(137, 5, 9, { reason: 'Error' }),
      want: {
        name: 's',
        state: 'failed',
        exitCode: 137,
        ...from5to9,
        reason: 'Error',
        message: 'exited with code 137',
      },
    },
    {
      name: 'the run ended (cancelled) while it ran: skipped, with why',
      state: running(5),
      ended: 'Cancelled',
      want: { name: 's', state: 'skipped', reason: 'Cancelled' },
    },
    {
      name: 'the run ended before it started: skipped',
      state: waiting('PodInitializing'),
      ended: 'StepFailed',
      want: { name: 's', state: 'skipped', reason: 'StepFailed' },
    },
    {
      name: 'a finished step stays finished when the run ends',
      state: terminated(0, 5, 9),
      ended: 'Cancelled',
      want: {
        name: 's',
        state: 'succeeded',
        exitCode: 0,
        ...from5to9,
        reason: 'Completed',
      },
    },
  ];
  for (const c of cases) assert.deepEqual(one(c.step ?? {}, c.state, c.ended), c.want, c.name);
});

test('without a pod every step waits, or is skipped when the run ended', () => {
  const run = makeRun();
  assert.deepEqual(stepStatuses(run, undefined, undefined), [
    { name: 'build', state: 'waiting' },
    { name: 'test', state: 'waiting' },
    { name: 'package', state: 'waiting' },
  ]);
  assert.deepEqual(
    stepStatuses(run, undefined, 'PodDeleted').map((s) => `${s.name}:${s.state}:${s.reason ?? ''}`),
    ['build:skipped:PodDeleted', 'test:skipped:PodDeleted', 'package:skipped:PodDeleted'],
  );
});

test('a pod not yet on a node (no container statuses): every step waits', () => {
  const run = makeRun();
  assert.deepEqual(
    stepStatuses(run, makePod(run, { created: 0 }), undefined).map((s) => s.state),
    ['waiting', 'waiting', 'waiting'],
  );
});

test('steps are reported in spec order, by container name, wherever the container sits', () => {
  const run = makeRun({ spec: { services: [{ name: 'db', image: 'postgres:17' }] } });
  const pod = makePod(run, {
    created: 0,
    nodeName: 'n',
    phase: 'Running',
    states: {
      db: running(1),
      'furrow-checkout': terminated(0, 1, 2),
      build: terminated(0, 2, 3),
      test: terminated(0, 3, 4),
      package: running(4),
    },
  });
  assert.deepEqual(
    stepStatuses(run, pod, undefined).map((s) => [s.name, s.state]),
    [
      ['build', 'succeeded'],
      ['test', 'succeeded'],
      ['package', 'running'],
    ],
  );
});

test('timestamps are normalised to whole seconds', () => {
  const status = one(
    {},
    {
      terminated: {
        exitCode: 0,
        startedAt: '2025-06-02T10:00:05.250Z',
        finishedAt: '2025-06-02T12:00:09+02:00',
      },
    },
  );
  assert.equal(status?.startedAt, '2025-06-02T10:00:05Z');
  assert.equal(status?.finishedAt, '2025-06-02T10:00:09Z');
});

test('currentStep: the running step, else the one that failed, else none', () => {
  const s = (name: string, state: StepStatus['state']): StepStatus => ({ name, state });
  const cases: [StepStatus[], string | undefined][] = [
    [[s('a', 'succeeded'), s('b', 'running'), s('c', 'waiting')], 'b'],
    [[s('a', 'failed'), s('b', 'running')], 'b'],
    [[s('a', 'succeeded'), s('b', 'failed'), s('c', 'skipped')], 'b'],
    [[s('a', 'succeeded'), s('b', 'succeeded')], undefined],
    [[s('a', 'waiting')], undefined],
    [[], undefined],
  ];
  for (const [steps, want] of cases) assert.equal(currentStep(steps), want, JSON.stringify(steps));
});
