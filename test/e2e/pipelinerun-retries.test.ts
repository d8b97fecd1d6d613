// Attempts end to end: infrastructure failures retry without counting, step failures retry
// within retries.limit after a backoff, and a restarted operator never makes a second pod.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { core, waitFor } from '../support/kube.ts';
import { testImage } from '../support/images.ts';
import { recordPods } from '../support/pod-watch.ts';

const oneStep = { image: testImage, steps: [{ name: 'build', script: 'sleep 3' }] };

test('a runner pod deleted by someone else is replaced by a new attempt that does not count against retries', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('resilient', oneStep, { annotations: sim('3s') });
  await env.waitForPhase('resilient', 'Running');
  await core().deleteNamespacedPod({ name: 'resilient-1', namespace: env.namespace, gracePeriodSeconds: 0 });
  const run = await env.waitForPhase('resilient', 'Succeeded', { timeoutMs: 60_000 });
  assert.equal(run.status?.attempt, 2);
  assert.equal(run.status?.podName, 'resilient-2');
  const [first, second] = run.status?.attempts ?? [];
  assert.equal(first?.reason, 'PodDeleted');
  assert.equal(first.countsAgainstLimit, false);
  assert.equal(second?.phase, 'Succeeded');
  assert.deepEqual(pods.order(), ['resilient-1', 'resilient-2'], 'one pod per attempt');
});

test('a failing step is retried within retries.limit after the backoff, keeping every attempt', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun(
    'flaky',
    { image: testImage, retries: { limit: 1, backoff: '2s' }, steps: [{ name: 'test', script: 'exit 3' }] },
    { annotations: sim('200ms', { 'sim.furrow.dev/exit-code': '3' }) },
  );
  const retrying = await env.waitForRun('flaky', 'to be retrying', (r) => r.status?.reason === 'Retrying');
  assert.equal(retrying.status?.phase, 'Pending');
  assert.match(retrying.status?.message ?? '', /attempt 2 starts in 2s/);
  const run = await env.waitForPhase('flaky', 'Failed', { timeoutMs: 60_000 });
  assert.equal(run.status?.reason, 'StepFailed');
  assert.equal(run.status?.attempt, 2);
  assert.deepEqual(
    run.status?.attempts?.map((a) => [a.attempt, a.phase, a.reason, a.countsAgainstLimit]),
    [
      [1, 'Failed', 'StepFailed', true],
      [2, 'Failed', 'StepFailed', true],
    ],
  );
  const gap =
    Date.parse(run.status?.attempts?.[1]?.startTime ?? '') -
    Date.parse(run.status?.attempts?.[0]?.completionTime ?? '');
  assert.ok(gap >= 1000, `the second attempt waited for the backoff (gap ${gap} ms)`);
  assert.deepEqual(pods.order(), ['flaky-1', 'flaky-2']);
});

test('an operator killed mid-run and restarted creates no second pod and finishes the run', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('survivor', oneStep, { annotations: sim('4s') });
  await env.waitForPhase('survivor', 'Running');
  await env.operator?.kill();
  await env.startOperator({ name: 'restarted' });
  const run = await env.waitForPhase('survivor', 'Succeeded', { timeoutMs: 60_000 });
  assert.equal(run.status?.attempt, 1);
  assert.deepEqual(pods.order(), ['survivor-1']);
});

test('an operator killed right after creating the pod adopts it instead of creating another', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('adopted', oneStep, { annotations: sim('3s') });
  // Kill the operator the moment the pod exists, before it can write any status.
  await waitFor('the pod', async () => (await env.podOf('adopted-1')) !== undefined, { intervalMs: 20 });
  await env.operator?.kill();
  const before = await env.run('adopted');
  await env.startOperator({ name: 'restarted' });
  const run = await env.waitForPhase('adopted', 'Succeeded', { timeoutMs: 60_000 });
  assert.equal(run.status?.attempt, 1);
  assert.deepEqual(pods.order(), ['adopted-1']);
  t.diagnostic(`status when the first operator died: ${JSON.stringify(before.status ?? null)}`);
});
