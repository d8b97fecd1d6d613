// PipelineRun lifecycle end to end: the operator runs as a process against the local cluster;
// kwok executes the runner pods as the sim.furrow.dev annotations say (each step also has a
// real command with the same effect, for clusters with real nodes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { core, statusCode, waitFor } from '../support/kube.ts';
import { testImage } from '../support/images.ts';
import type { PipelineRunSpec } from '../../src/resources/types.ts';

const threeSteps = (failing?: { step: string; code: number }): Omit<PipelineRunSpec, 'pool'> => ({
  image: testImage,
  steps: ['build', 'test', 'package'].map((name) => ({
    name,
    script: failing?.step === name ? `echo ${name}; exit ${failing.code}` : `echo ${name}`,
  })),
});

test('a run succeeds: one pod, every step succeeded, status filled in, events tell the story', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun('ok', threeSteps(), { annotations: sim('300ms'), labels: { team: 'checkout' } });
  const run = await env.waitForPhase('ok', 'Succeeded');
  const s = run.status ?? {};
  assert.equal(s.podName, 'ok-1');
  assert.ok(env.nodeNames.includes(s.nodeName ?? ''), `ran on a pool node, not ${s.nodeName}`);
  assert.equal(s.attempt, 1);
  assert.ok(s.startTime && s.completionTime && s.duration, 'times and duration');
  assert.deepEqual(
    s.steps?.map((x) => [x.name, x.state, x.exitCode]),
    [
      ['build', 'succeeded', 0],
      ['test', 'succeeded', 0],
      ['package', 'succeeded', 0],
    ],
  );
  assert.equal(s.conditions?.find((c) => c.type === 'Succeeded')?.status, 'True');
  assert.equal(s.conditions?.find((c) => c.type === 'Admitted')?.status, 'True');
  assert.equal(s.observedGeneration, 1);

  const pod = await env.podOf('ok-1');
  const owner = pod?.metadata?.ownerReferences?.[0];
  assert.equal(owner?.kind, 'PipelineRun');
  assert.equal(owner.controller, true);
  assert.equal(owner.blockOwnerDeletion, true);
  assert.equal(pod?.metadata?.labels?.team, 'checkout', 'run labels propagate');
  assert.equal(pod?.metadata?.labels?.['furrow.dev/pool'], env.poolName);
  assert.equal(pod?.spec?.automountServiceAccountToken, false);
  assert.deepEqual(
    (await env.pods()).map((p) => p.metadata?.name),
    ['ok-1'],
  );

  const events = await waitFor('events', async () => {
    const list = await core().listNamespacedEvent({
      namespace: env.namespace,
      fieldSelector: 'involvedObject.name=ok',
    });
    const reasons = new Set(list.items.map((e) => e.reason));
    return ['Admitted', 'PodCreated', 'Started', 'Succeeded'].every((r) => reasons.has(r))
      ? reasons
      : undefined;
  });
  assert.ok(events.has('Succeeded'));
});

test('a step exiting 3 fails the run: its exit code is in status, later steps are skipped', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun('fails', threeSteps({ step: 'test', code: 3 }), {
    annotations: sim('200ms', { 'sim.furrow.dev/exit-code': '3', 'sim.furrow.dev/fail-container': 'test' }),
  });
  const run = await env.waitForPhase('fails', 'Failed');
  assert.equal(run.status?.reason, 'StepFailed');
  assert.match(run.status?.message ?? '', /step test exited with code 3/);
  assert.deepEqual(
    run.status?.steps?.map((x) => [x.name, x.state, x.exitCode]),
    [
      ['build', 'succeeded', 0],
      ['test', 'failed', 3],
      ['package', 'skipped', undefined],
    ],
  );
  assert.equal(run.status?.conditions?.find((c) => c.type === 'Succeeded')?.status, 'False');
  assert.equal(run.status?.attempts?.length, 1);
});

test('onError: continue records the failure and runs the next step; the run succeeds', async (t) => {
  const env = await furrowEnv(t);
  const spec = threeSteps({ step: 'test', code: 3 });
  spec.steps[1] = { ...spec.steps[1], name: 'test', onError: 'continue' };
  await env.createRun('continues', spec, {
    annotations: sim('200ms', { 'sim.furrow.dev/exit-code': '3', 'sim.furrow.dev/fail-container': 'test' }),
  });
  const run = await env.waitForPhase('continues', 'Succeeded');
  assert.deepEqual(
    run.status?.steps?.map((x) => [x.name, x.state, x.exitCode]),
    [
      ['build', 'succeeded', 0],
      ['test', 'failed', 3],
      ['package', 'succeeded', 0],
    ],
  );
  assert.match(run.status?.message ?? '', /step test failed with onError: continue/);
  const pod = await env.podOf('continues-1');
  const wrapped = pod?.spec?.initContainers?.find((c) => c.name === 'test');
  assert.ok(
    wrapped?.env?.some((e) => e.name === 'FURROW_ON_ERROR' && e.value === 'continue'),
    'the step runs under the wrapper',
  );
});

test('services run beside the steps as native sidecars, started first', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun(
    'with-db',
    {
      ...threeSteps(),
      services: [
        {
          name: 'db',
          image: 'postgres:17',
          env: [{ name: 'POSTGRES_PASSWORD', value: 'ci' }],
          ports: [{ containerPort: 5432 }],
        },
      ],
    },
    { annotations: sim('200ms') },
  );
  await env.waitForPhase('with-db', 'Succeeded');
  const pod = await env.podOf('with-db-1');
  const first = pod?.spec?.initContainers?.[0];
  assert.equal(first?.name, 'db');
  assert.equal(first.restartPolicy, 'Always');
  assert.equal(first.ports?.[0]?.containerPort, 5432);
  assert.deepEqual(
    pod?.spec?.initContainers?.map((c) => c.name),
    ['db', 'build', 'test'],
  );
  assert.deepEqual(
    pod?.spec?.containers.map((c) => c.name),
    ['package'],
  );
});

test('a run past its timeout ends TimedOut and its pod is deleted', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun(
    'slow',
    { image: testImage, timeout: '3s', steps: [{ name: 'sleep', script: 'sleep 60' }] },
    { annotations: sim('60s') },
  );
  const run = await env.waitForPhase('slow', 'TimedOut', { timeoutMs: 30_000 });
  assert.equal(run.status?.reason, 'TimedOut');
  assert.equal(run.status?.steps?.[0]?.state, 'skipped');
  await waitFor('pod to be deleted', async () => (await env.podOf('slow-1')) === undefined);
});

test('cancelling a running run deletes its pod and ends it Cancelled', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun('cancel-me', threeSteps(), { annotations: sim('20s') });
  await env.waitForPhase('cancel-me', 'Running');
  await env.patchRun('cancel-me', { spec: { cancelled: true } });
  const run = await env.waitForPhase('cancel-me', 'Cancelled');
  assert.ok(
    run.status?.steps?.every((s) => s.state === 'skipped'),
    JSON.stringify(run.status?.steps),
  );
  assert.equal(run.status?.conditions?.find((c) => c.type === 'Succeeded')?.reason, 'Cancelled');
  await waitFor('pod to be deleted', async () => (await env.podOf('cancel-me-1')) === undefined);
});

test('cancelling a queued run ends it without ever creating a pod', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 0 } });
  await env.createRun('queued', threeSteps());
  await env.waitForPhase('queued', 'Queued');
  await env.patchRun('queued', { spec: { cancelled: true } });
  await env.waitForPhase('queued', 'Cancelled');
  assert.deepEqual(await env.pods(), []);
});

test('deleting a run deletes its pod through the garbage collector', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun('gc', threeSteps(), { annotations: sim('30s') });
  await env.waitForPhase('gc', 'Running');
  await env.deleteRun('gc');
  await waitFor('the pod to be collected', async () => (await env.pods()).length === 0, {
    timeoutMs: 60_000,
  });
});

test('ttlSecondsAfterFinished deletes the finished run, and its pod with it', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun(
    'short-lived',
    { ...threeSteps(), ttlSecondsAfterFinished: 2 },
    { annotations: sim('100ms') },
  );
  await env.waitForPhase('short-lived', 'Succeeded');
  assert.ok(await env.podOf('short-lived-1'), 'the finished pod stays until the TTL, for its logs');
  await waitFor(
    'the run to be deleted',
    async () => (await env.run('short-lived').catch(() => undefined)) === undefined,
    {
      timeoutMs: 20_000,
    },
  );
  await waitFor('its pod to be collected', async () => (await env.pods()).length === 0, {
    timeoutMs: 60_000,
  });
});

test('a run for a pool that does not exist waits Queued, and starts when the pool appears', async (t) => {
  const env = await furrowEnv(t, { createPool: false });
  await env.createRun('early', threeSteps(), { annotations: sim('100ms') });
  const queued = await env.waitForPhase('early', 'Queued');
  assert.equal(queued.status?.reason, 'PoolNotFound');
  assert.equal(queued.status?.conditions?.find((c) => c.type === 'Admitted')?.reason, 'PoolNotFound');
  await env.createPool();
  await env.waitForPhase('early', 'Succeeded');
});

test('changing the spec of a running run does not restart it', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun('steady', threeSteps(), { annotations: sim('2s') });
  await env.waitForPhase('steady', 'Running');
  await env.patchRun('steady', {
    spec: { env: [{ name: 'LATE', value: 'edit' }] },
    metadata: { labels: { edited: 'yes' } },
  });
  const run = await env.waitForPhase('steady', 'Succeeded');
  assert.equal(run.metadata.generation, 2);
  assert.equal(run.status?.observedGeneration, 1, 'the pod was built from generation 1');
  assert.deepEqual(
    (await env.pods()).map((p) => p.metadata?.name),
    ['steady-1'],
  );
});

test('a pod that cannot be scheduled within the pool’s pendingTimeout, for a cause waiting won’t fix, fails the run Unschedulable', async (t) => {
  const env = await furrowEnv(t, { pool: { runner: { pendingTimeout: '3s' } } });
  // A taint someone else put on every node of the pool, which runner pods don't tolerate: not
  // a matter of room, so admission lets the run in and the scheduler refuses its pod. (A pod
  // too big for any node is refused before it gets a pod: capacity.test.ts.)
  // Read and replace, again on a 409: the operator (the pool's own taint and label) and kwok
  // (node status) write these nodes at any moment.
  for (const name of env.nodeNames) {
    for (let tries = 1; ; tries++) {
      const node = await core().readNode({ name });
      node.spec ??= {};
      node.spec.taints = [
        ...(node.spec.taints ?? []),
        { key: 'e2e.furrow.dev/maintenance', effect: 'NoSchedule' },
      ];
      try {
        await core().replaceNode({ name, body: node });
        break;
      } catch (err) {
        if (statusCode(err) !== 409 || tries >= 10) throw err;
      }
    }
  }
  await env.createRun('untolerated', threeSteps());
  const pending = await env.waitForPhase('untolerated', 'Pending');
  assert.equal(pending.status?.reason, 'Unschedulable');
  assert.match(pending.status?.message ?? '', /untolerated taint/);
  const run = await env.waitForPhase('untolerated', 'Failed', { timeoutMs: 30_000 });
  assert.equal(run.status?.reason, 'Unschedulable');
});

test('an image that cannot be pulled fails the run ImagePullFailed after the pending timeout', async (t) => {
  const env = await furrowEnv(t, { pool: { runner: { pendingTimeout: '3s' } } });
  await env.createRun('no-image', threeSteps(), {
    annotations: { 'sim.furrow.dev/image-pull-error': 'build' },
  });
  const run = await env.waitForPhase('no-image', 'Failed', { timeoutMs: 30_000 });
  assert.equal(run.status?.reason, 'ImagePullFailed');
  assert.match(run.status?.message ?? '', /build/);
});
