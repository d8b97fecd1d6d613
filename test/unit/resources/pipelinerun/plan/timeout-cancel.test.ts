// planRun, scenario by scenario: the run’s timeout, and cancelling.
import { at, iso, withSpec } from '../../../../support/builders.ts';
import {
  fresh,
  queued,
  retrying,
  runningRun,
  scenarioTests,
  shortRun,
  shortRunning,
  testFailed,
  testing,
  withRetries,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
  // --- the run's timeout ---
  {
    name: 'run timeout counts from startTime, not creation: 10m after creation it still runs',
    input: { run: shortRunning, now: at(605), pods: [testing(shortRun)] },
    expect: { phase: 'Running', reason: 'Running', actions: [], requeueAfterMs: 5000 },
  },
  {
    name: 'run timeout reached: TimedOut, live pods deleted, unfinished steps skipped',
    input: { run: shortRunning, now: at(610), pods: [testing(shortRun)] },
    expect: {
      phase: 'TimedOut',
      reason: 'TimedOut',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'the run did not finish within its timeout of 10m',
        completionTime: iso(610),
        duration: '10m0s',
        currentStep: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'skipped', reason: 'TimedOut' },
          { name: 'package', state: 'skipped', reason: 'TimedOut' },
        ],
        attempts: [
          { attempt: 1, phase: 'TimedOut', completionTime: iso(610), countsAgainstLimit: undefined },
        ],
        conditions: [
          { type: 'Admitted', status: 'True' },
          { type: 'Succeeded', status: 'False', reason: 'TimedOut' },
        ],
      },
    },
  },
  {
    name: 'run timeout while waiting for a retry: TimedOut without a pod to delete',
    input: { run: withSpec(retrying, { timeout: '1m' }), now: at(75), pods: [testFailed(withRetries)] },
    expect: { phase: 'TimedOut', reason: 'TimedOut', actions: [], status: { attempt: 1, podName: 'app-1' } },
  },

  // --- cancel ---
  {
    name: 'cancelled while running: Cancelled, the pod deleted with a short grace, unfinished steps skipped',
    input: { run: withSpec(runningRun, { cancelled: true }), now: at(60), pods: [testing(fresh)] },
    expect: {
      phase: 'Cancelled',
      reason: 'Cancelled',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'cancelled: spec.cancelled is true',
        completionTime: iso(60),
        duration: '50s',
        observedGeneration: 2,
        steps: [
          { name: 'build', state: 'succeeded', exitCode: 0 },
          { name: 'test', state: 'skipped', reason: 'Cancelled' },
          { name: 'package', state: 'skipped', reason: 'Cancelled' },
        ],
        attempts: [{ attempt: 1, phase: 'Cancelled', completionTime: iso(60) }],
        conditions: [
          { type: 'Admitted', status: 'True', lastTransitionTime: iso(50) },
          { type: 'Succeeded', status: 'False', reason: 'Cancelled', observedGeneration: 2 },
        ],
      },
    },
  },
  {
    name: 'cancelled while queued: Cancelled, no pod ever',
    input: {
      run: withSpec(queued, { cancelled: true }),
      now: at(5),
      admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'full', position: 4 },
    },
    expect: {
      phase: 'Cancelled',
      reason: 'Cancelled',
      actions: [],
      status: {
        completionTime: iso(5),
        startTime: undefined,
        duration: undefined,
        podName: undefined,
        attempt: undefined,
        steps: undefined,
        attempts: undefined,
        queuePosition: undefined,
        observedGeneration: 2,
        conditions: [
          { type: 'Admitted', status: 'False', reason: 'PoolAtCapacity' },
          { type: 'Succeeded', status: 'False', reason: 'Cancelled' },
        ],
      },
    },
  },
];

scenarioTests(scenarios);
