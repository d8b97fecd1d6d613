// Plan rules at the edges: a pod that ended before the deadline but was seen after it, and a
// pod the API server refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planRun, type RunInput } from '../../../../../src/resources/pipelinerun/plan.ts';
import {
  at,
  iso,
  makePod,
  makePool,
  makeRun,
  planConfig as config,
  terminated,
  withStatus,
} from '../../../../support/builders.ts';

const pool = makePool();
const input = (o: Partial<RunInput> & Pick<RunInput, 'run' | 'now'>): RunInput => ({
  pool,
  pods: [],
  admission: { state: 'admitted' },
  config,
  ...o,
});

test('a pod that succeeded before the run’s deadline but was seen after it: Succeeded, not TimedOut', () => {
  const run = withStatus(makeRun({ spec: { timeout: '60s' } }), {
    phase: 'Running',
    attempt: 1,
    podName: 'app-1',
    startTime: iso(0),
  });
  const states = {
    'furrow-checkout': terminated(0, 1, 2),
    build: terminated(0, 2, 20),
    test: terminated(0, 20, 40),
    package: terminated(0, 40, 59),
  };
  const pod = makePod(run, { created: 0, nodeName: 'n1', phase: 'Succeeded', states });
  const before = planRun(input({ run, now: at(70), pods: [pod] }));
  assert.equal(before.status.phase, 'Succeeded');
  assert.equal(before.status.completionTime, iso(59));

  const late = makePod(run, {
    created: 0,
    nodeName: 'n1',
    phase: 'Succeeded',
    states: { ...states, package: terminated(0, 40, 61) },
  });
  const after = planRun(input({ run, now: at(70), pods: [late] }));
  assert.equal(after.status.phase, 'TimedOut', 'one that ended after the deadline did time out');
});

test('a pod the API server refuses fails the attempt PodRejected, and retries within retries.limit', () => {
  const why = 'HTTP 403 Forbidden: pods "app-1" is forbidden: violates PodSecurity "restricted:latest"';
  const once = planRun(input({ run: makeRun(), now: at(5), podRejected: why }));
  assert.equal(once.status.phase, 'Failed');
  assert.equal(once.status.reason, 'PodRejected');
  assert.match(once.status.message ?? '', /violates PodSecurity/);
  assert.deepEqual(once.actions, []);

  const retried = planRun(
    input({
      run: makeRun({ spec: { retries: { limit: 1, backoff: '10s' } } }),
      now: at(5),
      podRejected: why,
    }),
  );
  assert.equal(retried.status.phase, 'Pending');
  assert.equal(retried.status.reason, 'Retrying');
  assert.equal(retried.status.attempts?.[0]?.reason, 'PodRejected');
  assert.equal(retried.status.attempts?.[0]?.countsAgainstLimit, true);
  assert.equal(retried.requeueAfterMs, 10_000);
});
