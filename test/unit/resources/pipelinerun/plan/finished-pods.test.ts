// planRun, scenario by scenario: a pod that ended: Succeeded or Failed, and why.
import { at, iso, terminated, wrapperReport } from '../../../../support/builders.ts';
import {
  after,
  allDone,
  built,
  continueRun,
  fresh,
  pod,
  runningRun,
  scenarioTests,
  testFailed,
  testing,
  timeoutRun,
  timeoutRunning,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
  // --- finished pods ---
  {
    name: 'pod succeeded: Succeeded, completionTime when its last container finished, duration',
    input: { run: runningRun, now: at(125), pods: [allDone(fresh)] },
    expect: {
      phase: 'Succeeded',
      reason: 'Succeeded',
      actions: [],
      requeueAfterMs: undefined,
      status: {
        message: 'all 3 steps succeeded',
        completionTime: iso(120),
        duration: '1m50s',
        startTime: iso(10),
        currentStep: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'succeeded', exitCode: 0, finishedAt: iso(100) },
          { name: 'package', state: 'succeeded', exitCode: 0 },
        ],
        attempts: [
          { attempt: 1, phase: 'Succeeded', completionTime: iso(120), countsAgainstLimit: undefined },
        ],
        conditions: [
          { type: 'Admitted', status: 'True', lastTransitionTime: iso(50) },
          { type: 'Succeeded', status: 'True', reason: 'Succeeded', lastTransitionTime: iso(125) },
        ],
      },
    },
  },
  {
    name: 'a step exits 3: Failed StepFailed, its exit code in steps, later steps skipped',
    input: { run: runningRun, now: at(72), pods: [testFailed(fresh)] },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      actions: [],
      status: {
        message: 'step test exited with code 3',
        currentStep: 'test',
        completionTime: iso(72),
        duration: '1m2s',
        steps: [
          { name: 'build', state: 'succeeded', exitCode: 0 },
          {
            name: 'test',
            state: 'failed',
            exitCode: 3,
            reason: 'Error',
            message: 'exited with code 3',
            finishedAt: iso(70),
          },
          { name: 'package', state: 'skipped', reason: 'StepFailed' },
        ],
        attempts: [{ attempt: 1, phase: 'Failed', reason: 'StepFailed', countsAgainstLimit: true }],
        conditions: [{ type: 'Admitted' }, { type: 'Succeeded', status: 'False', reason: 'StepFailed' }],
      },
    },
  },
  {
    name: 'a step killed for memory says so',
    input: {
      run: runningRun,
      now: at(72),
      pods: [
        pod(fresh, {
          phase: 'Failed',
          states: { ...built, test: terminated(137, 40, 70, { reason: 'OOMKilled' }) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      status: {
        message: 'step test exited with code 137 (out of memory)',
        steps: [
          { name: 'build' },
          { name: 'test', state: 'failed', exitCode: 137, reason: 'OOMKilled' },
          { name: 'package' },
        ],
      },
    },
  },
  {
    name: 'the checkout fails: CheckoutFailed, every step skipped',
    input: {
      run: runningRun,
      now: at(20),
      pods: [pod(fresh, { phase: 'Failed', states: { 'furrow-checkout': terminated(128, 12, 15) } })],
    },
    expect: {
      phase: 'Failed',
      reason: 'CheckoutFailed',
      status: {
        message: 'checking out the source failed (exit code 128)',
        steps: [
          { name: 'build', state: 'skipped', reason: 'CheckoutFailed' },
          { name: 'test', state: 'skipped' },
          { name: 'package', state: 'skipped' },
        ],
      },
    },
  },
  {
    name: 'onError: continue: the step fails (its wrapper says exit 3, the container exits 0), the run succeeds',
    input: {
      run: after({ run: continueRun, pods: [testing(continueRun)], now: at(50) }),
      now: at(95),
      pods: [
        pod(continueRun, {
          phase: 'Succeeded',
          states: {
            ...built,
            test: terminated(0, 40, 70, { message: wrapperReport(3) }),
            package: terminated(0, 70, 90),
          },
        }),
      ],
    },
    expect: {
      phase: 'Succeeded',
      reason: 'Succeeded',
      status: {
        message: 'succeeded; step test failed with onError: continue',
        completionTime: iso(90),
        steps: [
          { name: 'build', state: 'succeeded' },
          {
            name: 'test',
            state: 'failed',
            exitCode: 3,
            reason: 'Error',
            message: 'exited with code 3; onError: continue, the run went on',
          },
          { name: 'package', state: 'succeeded', exitCode: 0 },
        ],
        conditions: [{ type: 'Admitted' }, { type: 'Succeeded', status: 'True' }],
      },
    },
  },
  {
    name: 'the wrapper reports a timeout: StepTimedOut',
    input: {
      run: timeoutRunning,
      now: at(105),
      pods: [
        pod(timeoutRun, {
          phase: 'Failed',
          states: { ...built, test: terminated(124, 40, 100, { message: wrapperReport(124, true) }) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepTimedOut',
      actions: [],
      status: {
        message: 'step test ran longer than its timeout (1m)',
        steps: [
          { name: 'build' },
          {
            name: 'test',
            state: 'failed',
            exitCode: 124,
            reason: 'TimedOut',
            message: 'ran longer than its timeout (1m)',
          },
          { name: 'package', state: 'skipped', reason: 'StepTimedOut' },
        ],
      },
    },
  },
  {
    name: 'a step within its timeout and grace: Running, checked again when the grace ends',
    input: { run: timeoutRunning, now: at(129), pods: [testing(timeoutRun)] },
    expect: { phase: 'Running', reason: 'Running', actions: [], requeueAfterMs: 1000 },
  },
  {
    name: 'a step running past its timeout + 30 s (its wrapper didn’t stop it): the operator does',
    input: { run: timeoutRunning, now: at(130), pods: [testing(timeoutRun)] },
    expect: {
      phase: 'Failed',
      reason: 'StepTimedOut',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'step test ran longer than its timeout (1m)',
        currentStep: 'test',
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'failed', reason: 'TimedOut', startedAt: iso(40), exitCode: undefined },
          { name: 'package', state: 'skipped', reason: 'StepTimedOut' },
        ],
        attempts: [{ attempt: 1, reason: 'StepTimedOut', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'the pod reached its activeDeadlineSeconds: TimedOut attempt',
    input: {
      run: runningRun,
      now: at(200),
      pods: [
        pod(fresh, {
          phase: 'Failed',
          reason: 'DeadlineExceeded',
          states: { ...built, test: terminated(137, 40, 199) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'TimedOut',
      status: { message: 'the pod reached its activeDeadlineSeconds' },
    },
  },
];

scenarioTests(scenarios);
