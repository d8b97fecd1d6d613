// Objects the schema can't guard: pods someone else made to look like Furrow's, and statuses
// written by hand. Furrow's rules (docs/security.md): a pod is a run's only if the run controls
// it (ownerReference with controller: true to the run's uid); others are never adopted,
// counted or deleted. A final status is final, whoever wrote it: the run's pods are stopped.
// A status that isn't final is recomputed from the cluster; an attempt number that no pod or
// record backs is not believed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { group, pipelineRunNames, version } from '../../src/resources/names.ts';
import type { PipelineRun, PipelineRunStatus } from '../../src/resources/types.ts';
import { furrowEnv, sim, type FurrowEnv } from '../support/env.ts';
import { testImage } from '../support/images.ts';
import { core, custom, waitFor } from '../support/kube.ts';
import { unhandledErrors } from '../support/operator.ts';
import { recordPods } from '../support/pod-watch.ts';

const quick = { image: testImage, steps: [{ name: 'build', script: 'make' }] };

/** A pod that claims to be Furrow's: its labels, its pool's toleration, but no owner. */
function impostor(
  env: FurrowEnv,
  name: string,
  run: PipelineRun | undefined,
  extra: Partial<k8s.V1ObjectMeta> = {},
): k8s.V1Pod {
  return {
    metadata: {
      name,
      labels: {
        'app.kubernetes.io/managed-by': 'furrow',
        'furrow.dev/pipelinerun': run?.metadata.name ?? 'nobody',
        'furrow.dev/pipelinerun-uid': run?.metadata.uid ?? 'no-uid',
        'furrow.dev/pool': env.poolName,
        'furrow.dev/attempt': '1',
      },
      annotations: { 'sim.furrow.dev/duration': '600s' },
      ...extra,
    },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'furrow.dev/pool': env.poolName },
      tolerations: [{ key: 'furrow.dev/pool', operator: 'Equal', value: env.poolName, effect: 'NoSchedule' }],
      containers: [{ name: 'build', image: testImage }],
    },
  };
}

async function writeStatus(env: FurrowEnv, name: string, status: PipelineRunStatus): Promise<void> {
  const run = await env.run(name);
  await custom().replaceNamespacedCustomObjectStatus({
    group,
    version,
    namespace: env.namespace,
    plural: pipelineRunNames.plural,
    name,
    body: { ...run, status },
  });
}

test('pods that only look like Furrow’s are ignored: not adopted, not counted, not deleted', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 1 } });
  await env.createRun('real', quick, { annotations: sim('3s') });
  const real = await env.waitForPhase('real', 'Running');
  // Same labels as the run's pod, even its uid, and one with a non-controller owner reference.
  await core().createNamespacedPod({ namespace: env.namespace, body: impostor(env, 'impostor', real) });
  await core().createNamespacedPod({
    namespace: env.namespace,
    body: impostor(env, 'hanger-on', real, {
      ownerReferences: [
        {
          apiVersion: `${group}/${version}`,
          kind: 'PipelineRun',
          name: 'real',
          uid: real.metadata.uid ?? '',
          controller: false,
        },
      ],
    }),
  });
  const done = await env.waitForPhase('real', 'Succeeded');
  assert.equal(done.status?.attempt, 1);
  assert.equal(done.status?.podName, 'real-1');
  // The pool's one slot frees when the real run ends: the impostors don't hold it.
  await env.createRun('next', quick, { annotations: sim('200ms') });
  await env.waitForPhase('next', 'Succeeded');
  // The pool's status is written a moment after its runs change (the 250 ms settle): wait for
  // it to count none running. Impostors counted as runs would keep it at 1 or more.
  await waitFor(
    'the pool to count no running run',
    async () => (await env.pool()).status?.runningRuns === 0,
    {
      timeoutMs: 15_000,
    },
  );
  for (const name of ['impostor', 'hanger-on']) {
    const pod = await env.podOf(name);
    assert.ok(pod && !pod.metadata?.deletionTimestamp, `${name} is left alone`);
  }
  assert.deepEqual(unhandledErrors(env.operator?.logs ?? []), []);
});

test('a pod squatting on the name of a run’s next pod: the run waits with a clear status, then goes on', async (t) => {
  const env = await furrowEnv(t);
  // Created before the run: it holds the name <run>-1, and nothing controls it.
  await core().createNamespacedPod({
    namespace: env.namespace,
    body: impostor(env, 'squatted-1', undefined),
  });
  await env.createRun('squatted', quick, { annotations: sim('200ms') });
  const waiting = await env.waitForRun(
    'squatted',
    'to say its pod name is taken',
    (r) => r.status?.reason === 'PodNameTaken',
  );
  assert.equal(waiting.status?.phase, 'Pending');
  assert.match(waiting.status?.message ?? '', /squatted-1 .*not controlled by this run/);
  assert.ok(await env.podOf('squatted-1'), 'the squatter is not deleted: it isn’t Furrow’s');
  await core().deleteNamespacedPod({ name: 'squatted-1', namespace: env.namespace, gracePeriodSeconds: 0 });
  const run = await env.waitForPhase('squatted', 'Succeeded', { timeoutMs: 90_000 });
  assert.equal(run.status?.attempt, 1);
});

test('a pod that claims to be a run’s but is built otherwise is not adopted: reported, and the attempt fails', async (t) => {
  // The pool is paused, so the run waits while a pod that it controls is put on its pod's name.
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 0 } });
  await env.createRun('forged', quick, { annotations: sim('200ms') });
  const run = await env.waitForRun('forged', 'to queue', (r) => r.status?.phase === 'Queued');
  const body = impostor(env, 'forged-1', run, {
    labels: {},
    ownerReferences: [
      {
        apiVersion: `${group}/${version}`,
        kind: pipelineRunNames.kind,
        name: 'forged',
        uid: run.metadata.uid ?? '',
        controller: true,
      },
    ],
  });
  const main = body.spec?.containers[0];
  assert.ok(main);
  main.command = ['sh', '-c', 'echo not the run’s steps'];
  await core().createNamespacedPod({ namespace: env.namespace, body });
  await env.patchPool({ maxConcurrentRuns: 1 });
  const failed = await env.waitForPhase('forged', 'Failed', { timeoutMs: 60_000 });
  assert.equal(failed.status?.reason, 'PodNotAdopted');
  assert.match(
    failed.status?.message ?? '',
    /pod forged-1 claims to be this run’s but differs from the pod Furrow builds for it \(.*containers.*\): not adopted/,
  );
  await waitFor('a Warning PodNotAdopted Event on the run', async () => {
    const events = await core().listNamespacedEvent({
      namespace: env.namespace,
      fieldSelector: 'involvedObject.name=forged',
    });
    return events.items.some((e) => e.reason === 'PodNotAdopted' && e.type === 'Warning');
  });
  assert.ok(await env.podOf('forged-1'), 'the pod is left alone');
});

test('a final status written by hand is final: the run’s pod is stopped and the status kept', async (t) => {
  const env = await furrowEnv(t);
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun('overruled', quick, { annotations: sim('600s') });
  const running = await env.waitForPhase('overruled', 'Running');
  const forged: PipelineRunStatus = {
    ...running.status,
    phase: 'Succeeded',
    reason: 'Succeeded',
    message: 'written by hand',
    completionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  await writeStatus(env, 'overruled', forged);
  await waitFor('the pod to be stopped', async () => {
    const pod = await env.podOf('overruled-1');
    return pod === undefined || pod.metadata?.deletionTimestamp !== undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const run = await env.run('overruled');
  assert.equal(run.status?.phase, 'Succeeded');
  assert.equal(run.status?.message, 'written by hand', 'the operator did not rewrite it');
  assert.deepEqual(pods.order(), ['overruled-1'], 'no new attempt');
});

test('a status edited by hand that isn’t final is recomputed from the cluster', async (t) => {
  const env = await furrowEnv(t, { pool: { maxConcurrentRuns: 0 } });
  const pods = await recordPods(t, [env.namespace]);
  // A queued run marked Running by hand: no pod backs it, the queue still holds it.
  await env.createRun('queued', quick, { annotations: sim('200ms') });
  await env.waitForPhase('queued', 'Queued');
  await writeStatus(env, 'queued', { phase: 'Running', reason: 'Running', message: 'forged' });
  const requeued = await env.waitForPhase('queued', 'Queued');
  assert.equal(requeued.status?.reason, 'PoolAtCapacity');
  assert.deepEqual(pods.order(), [], 'no pod for a forged Running');

  // A running run whose attempt number is forged: no pod or record backs attempt 7, so the
  // run goes on with the pod it has and never gets a second one.
  await env.patchPool({ maxConcurrentRuns: 1 });
  await env.waitForPhase('queued', 'Succeeded');
  await env.createRun('renumbered', quick, { annotations: sim('4s') });
  const running = await env.waitForPhase('renumbered', 'Running');
  await writeStatus(env, 'renumbered', { ...running.status, attempt: 7 });
  const run = await env.waitForPhase('renumbered', 'Succeeded', { timeoutMs: 60_000 });
  assert.equal(run.status?.podName, 'renumbered-1');
  assert.deepEqual(
    pods.order().filter((p) => p.startsWith('renumbered-')),
    ['renumbered-1'],
    'one pod: the forged attempt number made no second one',
  );
});

test('a finished run kept for 30 days is not reconciled over and over', async (t) => {
  const env = await furrowEnv(t);
  await env.createRun(
    'kept',
    { ...quick, ttlSecondsAfterFinished: 30 * 24 * 3600 },
    { annotations: sim('200ms') },
  );
  await env.waitForPhase('kept', 'Succeeded');
  const operator = env.operator;
  assert.ok(operator);
  const reconciles = async () =>
    [
      ...(await operator.metrics()).matchAll(
        /^furrow_reconcile_total\{controller="pipelinerun",[^}]*\} (\d+)/gm,
      ),
    ].reduce((n, m) => n + Number(m[1]), 0);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await reconciles();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const after = await reconciles();
  assert.ok(after - before < 10, `${after - before} reconciles in 3 s of a finished run`);
});
