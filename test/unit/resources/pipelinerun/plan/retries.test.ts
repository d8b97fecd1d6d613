// planRun, scenario by scenario: retries after step failures, and the pod a retry creates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { at, iso, running, withSpec } from '../../../../support/builders.ts';
import {
  after,
  checkedOut,
  fresh,
  plan,
  pod2,
  pod2Failed,
  retrying,
  scenarioTests,
  secondAttempt,
  testFailed,
  testing,
  waitingSteps,
  withRetries,
  withRetriesRunning,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
  // --- retries after step failures ---
  {
    name: 'a step fails with retries.limit 1: Pending Retrying, the next attempt after the 10 s default backoff',
    input: { run: withRetriesRunning, now: at(72), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: [],
      requeueAfterMs: 10_000,
      status: {
        message: 'attempt 1 failed: step test exited with code 3; attempt 2 starts in 10s',
        attempt: 1,
        podName: 'app-1',
        startTime: iso(10),
        currentStep: undefined,
        completionTime: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'failed', exitCode: 3 },
          { name: 'package', state: 'skipped', reason: 'StepFailed' },
        ],
        attempts: [
          {
            attempt: 1,
            phase: 'Failed',
            reason: 'StepFailed',
            countsAgainstLimit: true,
            completionTime: iso(72),
            startTime: iso(10),
          },
        ],
        conditions: [
          { type: 'Admitted', status: 'True' },
          { type: 'Succeeded', status: 'Unknown', reason: 'Retrying' },
        ],
      },
    },
  },
  {
    name: 'during the backoff: nothing to do but wait for the rest of it',
    input: { run: retrying, now: at(77), pods: [testFailed(withRetries)] },
    expect: { phase: 'Pending', reason: 'Retrying', actions: [], requeueAfterMs: 5000, unchanged: true },
  },
  {
    name: 'after the backoff: attempt 2’s pod <run>-2, history kept, written at once',
    input: { run: retrying, now: at(82), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-2 attempt=2'],
      writeNotBefore: undefined,
      status: {
        attempt: 2,
        podName: 'app-2',
        startTime: iso(10),
        steps: waitingSteps,
        attempts: [
          { attempt: 1, phase: 'Failed', reason: 'StepFailed' },
          { attempt: 2, podName: 'app-2', phase: 'Pending' },
        ],
      },
    },
  },
  {
    name: 'attempt 2’s pod created but not yet in the cache: create it again (the API says it exists), not a lost pod',
    input: { run: secondAttempt, now: at(83), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-2 attempt=2'],
      status: {
        attempt: 2,
        attempts: [{ attempt: 1 }, { attempt: 2, phase: 'Pending', completionTime: undefined }],
      },
    },
  },
  {
    name: 'attempt 2 fails too and retries.limit 1 is used up: Failed, both attempts recorded',
    input: {
      run: after({
        run: secondAttempt,
        pods: [testFailed(withRetries), pod2({ states: { ...checkedOut, build: running(85) } })],
        now: at(90),
      }),
      now: at(141),
      pods: [testFailed(withRetries), pod2Failed],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      actions: [],
      status: {
        message: 'step test exited with code 3 (after 2 attempts)',
        attempt: 2,
        podName: 'app-2',
        startTime: iso(10),
        attempts: [
          { attempt: 1, phase: 'Failed', countsAgainstLimit: true, podName: 'app-1' },
          {
            attempt: 2,
            phase: 'Failed',
            countsAgainstLimit: true,
            podName: 'app-2',
            startTime: iso(82),
            completionTime: iso(141),
          },
        ],
      },
    },
  },
  {
    name: 'the backoff doubles: the second retry waits 2 × retries.backoff',
    input: {
      run: withSpec(secondAttempt, { retries: { limit: 3, backoff: '30s' } }),
      now: at(141),
      pods: [testFailed(withRetries), pod2Failed],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      requeueAfterMs: 60_000,
      status: { message: 'attempt 2 failed: step test exited with code 3; attempt 3 starts in 1m0s' },
    },
  },
  {
    name: 'a pod of a later attempt than the status says (restart between create and status write): carry on with it',
    input: {
      run: retrying,
      now: at(100),
      pods: [testFailed(withRetries), pod2({ states: { ...checkedOut, build: running(85) } })],
    },
    expect: {
      phase: 'Running',
      reason: 'Running',
      actions: [],
      status: {
        attempt: 2,
        podName: 'app-2',
        currentStep: 'build',
        attempts: [
          { attempt: 1, phase: 'Failed' },
          { attempt: 2, phase: 'Running', startTime: iso(82) },
        ],
      },
    },
  },
  {
    name: 'a pod exists though no status was ever written (restart before the first write): carry on with it',
    input: {
      run: fresh,
      now: at(50),
      pods: [testing(fresh)],
      admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'full', position: 1 },
    },
    expect: { phase: 'Running', reason: 'Running', actions: [], status: { attempt: 1, podName: 'app-1' } },
  },
];

scenarioTests(scenarios);

test('plan: the pod it creates is the runner pod of the attempt, with the time left as its deadline', () => {
  const result = plan({ run: retrying, now: at(82), pods: [testFailed(withRetries)] });
  const create = result.actions[0];
  assert.equal(create?.type, 'createPod');
  assert.equal(create.pod.metadata?.name, 'app-2');
  assert.equal(create.pod.metadata?.labels?.['furrow.dev/attempt'], '2');
  // Started at 10 with a 1h timeout, now 82: 3528 s left, plus the 30 s backstop.
  assert.equal(create.pod.spec?.activeDeadlineSeconds, 3528 + 30);
});
