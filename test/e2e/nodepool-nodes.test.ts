// NodePool membership end to end: the pool's taints and labels on its nodes, exactly removed
// again, untouched pre-existing ones, placement enforced by the scheduler, readiness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { furrowEnv, sim } from '../support/env.ts';
import { core, waitFor } from '../support/kube.ts';
import { testImage } from '../support/images.ts';
import type { Node } from '../../src/kube/json.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const readNode = async (name: string) => (await core().readNode({ name })) as unknown as Node;
const poolTaint = (node: Node, pool: string) =>
  node.spec?.taints?.some(
    (t) => t.key === 'furrow.dev/pool' && t.value === pool && t.effect === 'NoSchedule',
  ) ?? false;

test('a pool puts its taint and label on its nodes, keeps what was there, and takes exactly its own away when deleted', async (t) => {
  const env = await furrowEnv(t, { createPool: false, pool: {} });
  const [first = '', second = ''] = env.nodeNames;
  // Things the node had before Furrow: they must survive everything below.
  await core().patchNode(
    {
      name: first,
      body: {
        metadata: { labels: { 'team.example/owner': 'infra' } },
        spec: { taints: [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }] },
      },
    },
    mergePatch,
  );
  await env.createPool({ labels: { 'ci.example/tier': 'untrusted' } });

  for (const name of [first, second]) {
    const node = await waitFor(`pool taint on ${name}`, async () => {
      const n = await readNode(name);
      return poolTaint(n, env.poolName) ? n : undefined;
    });
    assert.equal(node.metadata?.labels?.['furrow.dev/pool'], env.poolName);
    assert.equal(node.metadata?.labels?.['ci.example/tier'], 'untrusted');
  }
  const pool = await waitFor('pool status', async () => {
    const p = await env.pool();
    return p.status?.readyNodes === 2 ? p : undefined;
  });
  assert.equal(pool.status?.nodes, 2);
  assert.equal(pool.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');

  await env.deletePool();
  await waitFor(
    'pool to be deleted (finalizer released)',
    async () => (await env.pool().catch(() => undefined)) === undefined,
  );
  const after = await readNode(first);
  assert.equal(poolTaint(after, env.poolName), false);
  assert.equal(after.metadata?.labels?.['furrow.dev/pool'], undefined);
  assert.equal(after.metadata?.labels?.['ci.example/tier'], undefined);
  assert.equal(after.metadata?.annotations?.['furrow.dev/managed'], undefined);
  assert.equal(after.metadata?.labels?.['team.example/owner'], 'infra', 'pre-existing label kept');
  assert.deepEqual(
    JSON.parse(JSON.stringify(after.spec?.taints)),
    [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }],
    'pre-existing taint kept',
  );
});

test('a node whose labels stop matching leaves the pool and loses the pool’s taint and label', async (t) => {
  const env = await furrowEnv(t);
  const [leaving = ''] = env.nodeNames;
  await waitFor('pool taint', async () => poolTaint(await readNode(leaving), env.poolName));
  await core().patchNode(
    { name: leaving, body: { metadata: { labels: { 'e2e.furrow.dev/env': null } } } },
    mergePatch,
  );
  const node = await waitFor('taint removed', async () => {
    const n = await readNode(leaving);
    return poolTaint(n, env.poolName) ? undefined : n;
  });
  assert.equal(node.metadata?.labels?.['furrow.dev/pool'], undefined);
  await waitFor('pool counts one node', async () => (await env.pool()).status?.nodes === 1);
});

test('runner pods land only on the pool’s nodes', async (t) => {
  const env = await furrowEnv(t);
  for (let i = 0; i < 8; i++) {
    await env.createRun(
      `placed-${i}`,
      { image: testImage, steps: [{ name: 'build', script: 'true' }] },
      { annotations: sim('100ms') },
    );
  }
  for (let i = 0; i < 8; i++) await env.waitForPhase(`placed-${i}`, 'Succeeded');
  const pods = await env.pods();
  assert.equal(pods.length, 8);
  for (const pod of pods)
    assert.ok(
      env.nodeNames.includes(pod.spec?.nodeName ?? ''),
      `${pod.metadata?.name} on ${pod.spec?.nodeName}`,
    );
});

test('a pod without the pool’s toleration is kept off its nodes by the scheduler', async (t) => {
  const env = await furrowEnv(t);
  await waitFor('pool taint', async () => poolTaint(await readNode(env.nodeNames[0] ?? ''), env.poolName));
  await core().createNamespacedPod({
    namespace: env.namespace,
    body: {
      metadata: { name: 'stray' },
      spec: {
        nodeSelector: { 'furrow.dev/pool': env.poolName },
        containers: [{ name: 'main', image: testImage }],
      },
    },
  });
  const condition = await waitFor('the scheduler to refuse', async () => {
    const pod = await core().readNamespacedPod({ name: 'stray', namespace: env.namespace });
    return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  });
  assert.match(condition.message ?? '', /untolerated taint/);
});

test('a pool whose nodes all go NotReady queues new runs, and resumes when they return', async (t) => {
  const env = await furrowEnv(t);
  await waitFor('pool ready', async () => (await env.pool()).status?.readyNodes === 2);
  for (const name of env.nodeNames) {
    await core().patchNode(
      { name, body: { metadata: { annotations: { 'sim.furrow.dev/not-ready': 'true' } } } },
      mergePatch,
    );
  }
  const pool = await waitFor('pool not ready', async () => {
    const p = await env.pool();
    return p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False') ? p : undefined;
  });
  assert.equal(pool.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'NoReadyNodes');

  await env.createRun(
    'waits',
    { image: testImage, steps: [{ name: 'build', script: 'true' }] },
    { annotations: sim('100ms') },
  );
  const queued = await env.waitForPhase('waits', 'Queued');
  assert.equal(queued.status?.reason, 'NoReadyNodes');
  assert.deepEqual(await env.pods(), []);

  for (const name of env.nodeNames) {
    await core().patchNode(
      { name, body: { metadata: { annotations: { 'sim.furrow.dev/not-ready': null } } } },
      mergePatch,
    );
  }
  await env.waitForPhase('waits', 'Succeeded');
});

test('a node two pools select stays with the older pool; the newer reports the conflict', async (t) => {
  const env = await furrowEnv(t);
  await waitFor('first pool owns both', async () => (await env.pool()).status?.nodes === 2);
  const second = await furrowEnv(t, { nodes: 0, createPool: false, operator: false });
  // The same selector as the first pool's: it matches the first pool's nodes.
  await second.createPool({ nodeSelector: { matchLabels: env.nodeLabel } });
  const status = await waitFor('conflict reported', async () => {
    const p = await second.pool();
    return p.status?.conditions?.find((c) => c.type === 'NodeConflict' && c.status === 'True')
      ? p.status
      : undefined;
  });
  assert.equal(status.nodes, 0);
  assert.match(
    status.conditions?.find((c) => c.type === 'NodeConflict')?.message ?? '',
    new RegExp(env.poolName),
  );
  for (const name of env.nodeNames)
    assert.ok(poolTaint(await readNode(name), env.poolName), `${name} keeps the older pool's taint`);
  // Deleted while the operator runs, so its finalizer is released normally.
  await second.deletePool();
  await waitFor('second pool gone', async () => (await second.pool().catch(() => undefined)) === undefined);
});
