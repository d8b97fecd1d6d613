// The admission queue end to end: limits never exceeded (a pod watch checks every moment),
// priority and the pool's allowedPriorities, fairness between namespaces, namespaceSelector,
// and an operator restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { core, testNamespace, waitFor } from '../support/kube.ts';
import { testImage } from '../support/images.ts';
import { recordPods } from '../support/pod-watch.ts';

const quick = { image: testImage, steps: [{ name: 'build', script: 'sleep 1' }] };

test('maxConcurrentRuns 2 with 8 runs: never more than 2 runner pods at once, all succeed, first come first served', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 2 } });
  const pods = await recordPods(t, [env.namespace]);
  for (let i = 0; i < 8; i++) {
    await env.createRun(`r${i}`, quick, { annotations: sim('4s') });
    // creationTimestamp has one-second resolution: space the runs so FIFO order is defined.
    if (i < 7) await new Promise((resolve) => setTimeout(resolve, 1050));
  }
  const queued = await env.waitForPhase('r7', 'Queued');
  assert.equal(queued.status?.reason, 'PoolAtCapacity');
  assert.ok((queued.status?.queuePosition ?? 0) >= 1, 'a queued run knows its position');
  for (let i = 0; i < 8; i++) await env.waitForPhase(`r${i}`, 'Succeeded', { timeoutMs: 90_000 });
  assert.equal(pods.maxConcurrent(), 2, `at most 2 at once (saw ${pods.maxConcurrent()})`);
  assert.deepEqual(
    pods.order(),
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `r${i}-1`),
  );
});

test('allowedPriorities: a run above the range fails PriorityNotAllowed without a pod; runs within it go by priority', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 1, allowedPriorities: { max: 100 } } });
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('busy', quick, { annotations: sim('3s') });
  await env.waitForPhase('busy', 'Running');
  for (const name of ['low-a', 'low-b']) await env.createRun(name, quick, { annotations: sim('200ms') });
  await env.createRun('greedy', { ...quick, priority: 1000000 }, { annotations: sim('200ms') });
  await env.createRun('urgent', { ...quick, priority: 100 }, { annotations: sim('200ms') });
  await env.createRun('middle', { ...quick, priority: 50 }, { annotations: sim('200ms') });
  const greedy = await env.waitForPhase('greedy', 'Failed');
  assert.equal(greedy.status?.reason, 'PriorityNotAllowed');
  assert.match(greedy.status?.message ?? '', new RegExp(env.poolName));
  assert.match(greedy.status?.message ?? '', /spec\.allowedPriorities/);
  assert.match(greedy.status?.message ?? '', /from 0 to 100/);
  assert.match(greedy.status?.message ?? '', /asks for 1000000/);
  const urgent = await env.waitForRun(
    'urgent',
    'to be first in the queue',
    (r) => r.status?.queuePosition === 1,
  );
  assert.equal(urgent.status?.phase, 'Queued');
  for (const name of ['busy', 'low-a', 'low-b', 'urgent', 'middle'])
    await env.waitForPhase(name, 'Succeeded', { timeoutMs: 60_000 });
  assert.deepEqual(pods.order(), ['busy-1', 'urgent-1', 'middle-1', 'low-a-1', 'low-b-1']);
  assert.equal((await env.run('greedy')).status?.phase, 'Failed', 'the refusal is final');
});

test('a pool without allowedPriorities admits only priority 0: a run claiming 1 is refused', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('jumper', { ...quick, priority: 1 });
  await env.createRun('plain', quick, { annotations: sim('200ms') });
  const jumper = await env.waitForPhase('jumper', 'Failed');
  assert.equal(jumper.status?.reason, 'PriorityNotAllowed');
  assert.match(jumper.status?.message ?? '', /from 0 to 0 \(its spec\.allowedPriorities, unset: only 0\)/);
  await env.waitForPhase('plain', 'Succeeded', { timeoutMs: 60_000 });
  assert.deepEqual(pods.order(), ['plain-1'], 'the refused run never got a pod');
});

test('a namespace that floods the queue does not starve another: 20 runs against 2', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 2 }, operator: false });
  const quiet = await testNamespace(t, 'quiet');
  await env.startOperator({ namespaces: [env.namespace, quiet] });
  const pods = await recordPods(t, [env.namespace, quiet]);
  for (let i = 0; i < 20; i++) await env.createRun(`flood-${i}`, quick, { annotations: sim('500ms') });
  await new Promise((resolve) => setTimeout(resolve, 1100));
  for (let i = 0; i < 2; i++)
    await env.createRun(`quiet-${i}`, quick, { annotations: sim('500ms'), namespace: quiet });
  for (let i = 0; i < 2; i++)
    await env.waitForPhase(`quiet-${i}`, 'Succeeded', { namespace: quiet, timeoutMs: 90_000 });
  const order = pods.order();
  const lastQuiet = Math.max(order.indexOf('quiet-0-1'), order.indexOf('quiet-1-1'));
  // Without fairness they would start after all 20; with it, within a few slots of arriving.
  const floodBefore = order.slice(0, lastQuiet).filter((n) => n.startsWith('flood-')).length;
  assert.ok(
    floodBefore <= 8,
    `the quiet namespace's runs started after only ${floodBefore} of the flood (order ${order.join(' ')})`,
  );
  // The watch must have seen pods: a watch that saw none would pass the limit check vacuously.
  assert.ok(pods.maxConcurrent() > 0, 'the pod watch saw runner pods');
  assert.ok(pods.maxConcurrent() <= 2, `saw ${pods.maxConcurrent()} at once`);
  for (let i = 0; i < 20; i++) await env.waitForPhase(`flood-${i}`, 'Succeeded', { timeoutMs: 120_000 });
  assert.equal(pods.order().length, 22, 'the pod watch saw every runner pod');
});

test('a run from a namespace the pool does not admit fails PoolNotAllowed and never gets a pod', async (t) => {
  const env = await furrowEnv(t, {
    pool: { namespaceSelector: { matchLabels: { 'ci.example/tenant': 'trusted' } } },
  });
  await env.createRun('outsider', quick);
  const run = await env.waitForPhase('outsider', 'Failed');
  assert.equal(run.status?.reason, 'PoolNotAllowed');
  assert.match(run.status?.message ?? '', new RegExp(env.poolName));
  assert.deepEqual(await env.pods(), []);

  // Labelled, the namespace is admitted.
  await core().patchNamespace(
    { name: env.namespace, body: { metadata: { labels: { 'ci.example/tenant': 'trusted' } } } },
    (await import('@kubernetes/client-node')).setHeaderOptions(
      'Content-Type',
      'application/merge-patch+json',
    ),
  );
  await env.createRun('insider', quick, { annotations: sim('100ms') });
  await env.waitForPhase('insider', 'Succeeded');
});

test('an operator restart keeps the limit and the order', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 2 } });
  const pods = await recordPods(t, [env.namespace]);
  for (let i = 0; i < 6; i++) {
    await env.createRun(`q${i}`, quick, { annotations: sim('2s') });
    if (i < 5) await new Promise((resolve) => setTimeout(resolve, 1050));
  }
  await waitFor('two running', () => Promise.resolve(pods.createdPods().length >= 2));
  await env.operator?.kill();
  await env.startOperator({ name: 'restarted' });
  for (let i = 0; i < 6; i++) await env.waitForPhase(`q${i}`, 'Succeeded', { timeoutMs: 90_000 });
  assert.ok(pods.maxConcurrent() > 0, 'the pod watch saw runner pods');
  assert.ok(pods.maxConcurrent() <= 2, `saw ${pods.maxConcurrent()} at once`);
  assert.deepEqual(
    pods.order(),
    [0, 1, 2, 3, 4, 5].map((i) => `q${i}-1`),
  );
});
