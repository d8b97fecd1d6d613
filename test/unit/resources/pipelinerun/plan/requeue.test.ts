// Requeue delays a plan asks for must never make the controller spin: a delay of 0 returned again
// and again re-runs the reconcile at once, forever, and starves the process (found by the fuzz
// test: a pod that stayed Pending past its pool's pendingTimeout without being stuck).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRun } from '../../../../../src/resources/pipelinerun/plan.ts';
import {
  at,
  makePod,
  makePool,
  makeRun,
  planConfig as config,
  waiting,
} from '../../../../support/builders.ts';

test('a pod scheduled but still starting past the pending timeout (not stuck): no immediate requeue', () => {
  const run = makeRun({ created: 0 });
  const pod = makePod(run, {
    created: 1,
    nodeName: 'peasant-0',
    states: { 'furrow-checkout': waiting('ContainerCreating') },
  });
  for (const seconds of [301, 302, 900, 3000]) {
    const plan = planRun({
      run,
      pool: makePool(),
      pods: [pod],
      admission: { state: 'admitted' },
      now: at(seconds),
      config,
    });
    assert.equal(plan.status.phase, 'Pending', 'it keeps waiting: nothing says it is stuck');
    assert.deepEqual(plan.actions, []);
    assert.notEqual(plan.requeueAfterMs, 0, `at ${seconds}s the plan asks to be run again at once`);
  }
});

test('just before the pending timeout the plan wakes up at the deadline', () => {
  const run = makeRun({ created: 0 });
  const pod = makePod(run, { created: 1, nodeName: 'peasant-0' });
  const plan = planRun({
    run,
    pool: makePool(),
    pods: [pod],
    admission: { state: 'admitted' },
    now: at(201),
    config,
  });
  assert.equal(plan.requeueAfterMs, 100_000);
});
