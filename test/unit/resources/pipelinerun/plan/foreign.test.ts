// planRun with state someone else wrote: a status whose attempt number runs ahead of the run's
// pods (written by hand, restored from an old backup), and an attempt's pod name held by a pod
// the run doesn't control. The e2e side is test/e2e/foreign-objects.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRun, type RunInput } from '../../../../../src/resources/pipelinerun/plan.ts';
import type { PipelineRunStatus } from '../../../../../src/resources/types.ts';
import {
  at,
  iso,
  makePod,
  makePool,
  makeRun,
  planConfig as config,
  running,
  terminated,
} from '../../../../support/builders.ts';

const base = (input: Pick<RunInput, 'run' | 'pods' | 'now'> & Partial<RunInput>): RunInput => ({
  pool: makePool(),
  admission: { state: 'admitted' },
  config,
  ...input,
});

const runningStatus: PipelineRunStatus = {
  phase: 'Running',
  reason: 'Running',
  attempt: 1,
  podName: 'app-1',
  startTime: iso(5),
  attempts: [{ attempt: 1, podName: 'app-1', startTime: iso(5), phase: 'Running' }],
};

test('an attempt number ahead of the pods: the running pod’s attempt stays in play, no second pod', () => {
  const plain = makeRun({ created: 0 });
  const pod = makePod(plain, {
    created: 5,
    phase: 'Running',
    nodeName: 'peasant-0',
    states: { 'furrow-checkout': running(10) },
  });
  const run = makeRun({ created: 0, status: { ...runningStatus, attempt: 7 } });
  const plan = planRun(base({ run, pods: [pod], now: at(30) }));
  assert.deepEqual(plan.actions, [], 'no pod for attempt 7');
  assert.equal(plan.status.phase, 'Running');
  assert.equal(plan.status.attempt, 1, 'the status is put right');
  assert.equal(plan.status.podName, 'app-1');
});

test('an attempt number ahead of a finished pod whose attempt no record closes: that pod’s outcome counts', () => {
  const plain = makeRun({ created: 0 });
  const pod = makePod(plain, {
    created: 5,
    phase: 'Succeeded',
    nodeName: 'peasant-0',
    states: {
      'furrow-checkout': terminated(0, 10, 11),
      build: terminated(0, 11, 20),
      test: terminated(0, 20, 30),
      package: terminated(0, 30, 31),
    },
  });
  const run = makeRun({ created: 0, status: { ...runningStatus, attempt: 3 } });
  const plan = planRun(base({ run, pods: [pod], now: at(40) }));
  assert.deepEqual(plan.actions, []);
  assert.equal(plan.status.phase, 'Succeeded');
  assert.equal(plan.status.attempt, 1);
});

test('a real retry is unaffected: attempt 1 closed and its pod finished, attempt 2 runs', () => {
  const plain = makeRun({ created: 0 });
  const first = makePod(plain, {
    created: 5,
    phase: 'Failed',
    nodeName: 'peasant-0',
    states: { 'furrow-checkout': terminated(0, 10, 11), build: terminated(3, 11, 20) },
  });
  const second = makePod(plain, {
    attempt: 2,
    created: 40,
    phase: 'Running',
    nodeName: 'peasant-1',
    states: { 'furrow-checkout': running(45) },
  });
  const run = makeRun({
    created: 0,
    spec: { retries: { limit: 1 } },
    status: {
      ...runningStatus,
      attempt: 2,
      podName: 'app-2',
      attempts: [
        {
          attempt: 1,
          podName: 'app-1',
          phase: 'Failed',
          reason: 'StepFailed',
          completionTime: iso(20),
          countsAgainstLimit: true,
        },
        { attempt: 2, podName: 'app-2', startTime: iso(40), phase: 'Running' },
      ],
    },
  });
  const plan = planRun(base({ run, pods: [first, second], now: at(50) }));
  assert.deepEqual(plan.actions, []);
  assert.equal(plan.status.attempt, 2);
  assert.equal(plan.status.podName, 'app-2');
});

test('the attempt’s pod name held by a pod the run doesn’t control: Pending PodNameTaken, checked again soon', () => {
  const run = makeRun({ created: 0 });
  const why = 'pod app-1 exists and is not controlled by this run';
  const plan = planRun(base({ run, pods: [], now: at(3), podNameTaken: why }));
  assert.deepEqual(plan.actions, []);
  assert.equal(plan.status.phase, 'Pending');
  assert.equal(plan.status.reason, 'PodNameTaken');
  assert.match(plan.status.message ?? '', /app-1 exists and is not controlled by this run/);
  assert.match(plan.status.conditions?.find((c) => c.type === 'Succeeded')?.message ?? '', /app-1 exists/);
  assert.ok((plan.requeueAfterMs ?? 0) >= 1000, `checked again after ${plan.requeueAfterMs} ms`);
  assert.equal(plan.writeNotBefore, undefined, 'written at once');
});
