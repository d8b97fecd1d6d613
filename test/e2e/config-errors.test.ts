// Containers the kubelet won't create (CreateContainerConfigError), on the real node: a step's
// env names a Secret that doesn't exist, or the pool sets runner.runAsNonRoot and the image runs
// as root. Both used to leave the run Pending until its timeout (an hour); the attempt now fails
// promptly, naming the Secret or the container (issue 16, part 4).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { NodePoolSpec } from '../../src/resources/types.ts';
import type { FurrowEnv } from '../support/env.ts';
import { core } from '../support/kube.ts';
import { realNodeEnv, realNodeImages, requireRealNode } from '../support/real-node.ts';

const image = realNodeImages.busybox;

/** An environment whose pool is the real node, or undefined (skipped) without one. */
async function onRealNode(t: TestContext, pool: Partial<NodePoolSpec> = {}): Promise<FurrowEnv | undefined> {
  if (!(await requireRealNode(t))) return undefined;
  return realNodeEnv(t, pool);
}

/** Seconds from the run's creation to its completion. */
function secondsToFail(run: {
  metadata: { creationTimestamp?: string };
  status?: { completionTime?: string };
}) {
  return (
    (Date.parse(run.status?.completionTime ?? '') - Date.parse(run.metadata.creationTimestamp ?? '')) / 1000
  );
}

test('[real] a step’s env naming a missing Secret fails the run within a minute, naming the Secret', async (t) => {
  const env = await onRealNode(t);
  if (!env) return;
  await env.createRun('no-secret', {
    image,
    steps: [
      {
        name: 'build',
        script: 'echo "password is $DB_PASSWORD"',
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-password', key: 'password' } } }],
      },
    ],
  });
  const run = await env.waitForPhase('no-secret', 'Failed', { timeoutMs: 75_000 });
  assert.equal(run.status?.reason, 'ConfigMissing');
  assert.match(run.status?.message ?? '', /^step build: secret "db-password" not found/);
  assert.ok(secondsToFail(run) <= 60, `failed after ${secondsToFail(run)} s`);
  // The job's configuration, not the infrastructure: charged to retries, as ImagePullFailed is.
  assert.equal(run.status?.attempts?.[0]?.countsAgainstLimit, true);
  assert.equal(run.status?.steps?.[0]?.state, 'skipped');
});

test('[real] a Secret created a moment after its run is still read: the run succeeds', async (t) => {
  const env = await onRealNode(t);
  if (!env) return;
  await env.createRun('late-secret', {
    image,
    steps: [
      {
        name: 'build',
        script: 'test "$TOKEN" = s3cret',
        env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'late', key: 'token' } } }],
      },
    ],
  });
  await env.waitForRun('late-secret', 'to wait on its Secret', (r) => r.status?.reason === 'ConfigMissing', {
    timeoutMs: 30_000,
  });
  await core().createNamespacedSecret({
    namespace: env.namespace,
    body: { metadata: { name: 'late' }, stringData: { token: 's3cret' } },
  });
  const run = await env.waitForPhase('late-secret', 'Succeeded', { timeoutMs: 60_000 });
  assert.equal(run.status?.attempt, 1);
});

test('[real] runner.runAsNonRoot with an image that runs as root fails at once, naming the step and the fix', async (t) => {
  const env = await onRealNode(t, { runner: { runAsNonRoot: true } });
  if (!env) return;
  await env.createRun('as-root', { image, steps: [{ name: 'build', script: 'id -u' }] });
  const run = await env.waitForPhase('as-root', 'Failed', { timeoutMs: 60_000 });
  assert.equal(run.status?.reason, 'RunsAsRoot');
  assert.match(
    run.status?.message ?? '',
    /^step build: image furrow\.local\/busybox:1\.35 runs as root, and the pool sets runner\.runAsNonRoot: give the image a numeric USER other than 0/,
  );
  assert.ok(secondsToFail(run) <= 30, `failed after ${secondsToFail(run)} s`);
});

test('[real] runner.runAsNonRoot with the git image (it runs as root) fails the checkout at once, naming --git-image', async (t) => {
  const env = await onRealNode(t, { runner: { runAsNonRoot: true } });
  if (!env) return;
  // The kubelet refuses the container before git runs: the repository needn't exist.
  await env.createRun('git-as-root', {
    image,
    source: { git: { url: 'http://git.invalid/app.git', revision: 'main' } },
    steps: [{ name: 'build', script: 'true' }],
  });
  const run = await env.waitForPhase('git-as-root', 'Failed', { timeoutMs: 60_000 });
  assert.equal(run.status?.reason, 'RunsAsRoot');
  assert.equal(
    run.status?.message,
    `the checkout (container furrow-checkout): image ${realNodeImages.git} runs as root, and the pool sets runner.runAsNonRoot: run the operator with a --git-image whose USER is a numeric uid other than 0`,
  );
  assert.ok(secondsToFail(run) <= 30, `failed after ${secondsToFail(run)} s`);
});
