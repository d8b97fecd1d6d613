// Runner pods executed for real: the same PipelineRuns on the local cluster's real node
// (kubelet + containerd, test/cluster/real-node) and on kwok nodes. On the real node the steps'
// shells really run: files cross the workspace, exit codes are real, logs exist, a service
// answers on localhost, the step wrapper really stops a step. On kwok the sim annotations say
// what the scripts would do. Every expectation holds for both, so a difference between the
// simulation and reality fails a test; the few facts kwok can't produce (logs, a wrapper's
// timeout) are checked on the real node only.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { furrowEnv, sim, type FurrowEnv } from '../support/env.ts';
import net from 'node:net';
import { core, kubectl, suffix, waitFor } from '../support/kube.ts';
import {
  nodeIP,
  realNodeEnv,
  realNodeImages,
  requireRealNode,
  serveGitRepo,
  servePrivateGitRepo,
} from '../support/real-node.ts';
import type { PipelineRunSpec } from '../../src/resources/types.ts';

type Where = 'real' | 'kwok';
const image = realNodeImages.busybox;

/** An environment whose pool is the real node (when the cluster has one) or kwok nodes. */
async function environment(
  t: TestContext,
  where: Where,
): Promise<{ env: FurrowEnv; node?: k8s.V1Node } | undefined> {
  if (where === 'kwok')
    return { env: await furrowEnv(t, { operator: { args: ['--git-image', realNodeImages.git] } }) };
  // Skips without a real node, or fails with FURROW_REAL_NODE=1 (CI).
  const node = await requireRealNode(t);
  if (!node) return undefined;
  const env = await realNodeEnv(t);
  return { env, node };
}

function logs(env: FurrowEnv, pod: string, container: string): string {
  const result = kubectl(['logs', '-n', env.namespace, pod, '-c', container]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

for (const where of ['real', 'kwok'] as const) {
  test(`[${where}] steps share the workspace, a step exiting 3 fails the run, later steps are skipped`, async (t) => {
    const setup = await environment(t, where);
    if (!setup) return;
    const { env } = setup;
    const spec: Omit<PipelineRunSpec, 'pool'> = {
      image,
      steps: [
        { name: 'write', script: 'echo hello-from-write > /workspace/data.txt; echo wrote the file' },
        {
          name: 'read',
          script: 'cat /workspace/data.txt; test "$(cat /workspace/data.txt)" = hello-from-write',
        },
        { name: 'fail', script: 'echo about to fail >&2; exit 3' },
        { name: 'after', script: 'echo must not run' },
      ],
    };
    await env.createRun('workspace', spec, {
      annotations: sim('500ms', { 'sim.furrow.dev/exit-code': '3', 'sim.furrow.dev/fail-container': 'fail' }),
    });
    const run = await env.waitForPhase('workspace', 'Failed', { timeoutMs: 120_000 });
    assert.equal(run.status?.reason, 'StepFailed');
    assert.deepEqual(
      run.status?.steps?.map((s) => [s.name, s.state, s.exitCode]),
      [
        ['write', 'succeeded', 0],
        ['read', 'succeeded', 0],
        ['fail', 'failed', 3],
        ['after', 'skipped', undefined],
      ],
    );
    if (where === 'real') {
      assert.match(logs(env, 'workspace-1', 'write'), /wrote the file/);
      assert.match(logs(env, 'workspace-1', 'read'), /hello-from-write/);
      assert.match(logs(env, 'workspace-1', 'fail'), /about to fail/);
    }
  });

  test(`[${where}] a service is reachable from a step on localhost`, async (t) => {
    const setup = await environment(t, where);
    if (!setup) return;
    const { env } = setup;
    await env.createRun(
      'with-service',
      {
        image,
        services: [
          {
            name: 'echo',
            image,
            script: 'trap "exit 0" TERM; while true; do echo pong | nc -l -p 8080 & wait $!; done',
            ports: [{ containerPort: 8080 }],
          },
        ],
        steps: [
          {
            name: 'ping',
            // The service may still be starting: try for 15 s.
            script:
              'for i in $(seq 1 30); do out=$(nc 127.0.0.1 8080 </dev/null) && [ -n "$out" ] && { echo "got $out"; exit 0; }; sleep 0.5; done; exit 1',
          },
        ],
      },
      { annotations: sim('500ms') },
    );
    const run = await env.waitForPhase('with-service', 'Succeeded', { timeoutMs: 120_000 });
    assert.equal(run.status?.steps?.[0]?.exitCode, 0);
    if (where === 'real') assert.match(logs(env, 'with-service-1', 'ping'), /got pong/);
  });

  test(`[${where}] a step sleeping past the run’s timeout is stopped and the run ends TimedOut`, async (t) => {
    const setup = await environment(t, where);
    if (!setup) return;
    const { env } = setup;
    await env.createRun(
      'sleepy',
      { image, timeout: '8s', steps: [{ name: 'sleep', script: 'echo sleeping; sleep 300' }] },
      { annotations: sim('300s') },
    );
    const run = await env.waitForPhase('sleepy', 'TimedOut', { timeoutMs: 120_000 });
    assert.equal(run.status?.steps?.[0]?.state, 'skipped');
    await waitFor('the pod to be gone', async () => (await env.podOf('sleepy-1')) === undefined, {
      timeoutMs: 60_000,
    });
  });

  test(`[${where}] source.git is checked out at the revision asked for, before the first step`, async (t) => {
    const setup = await environment(t, where);
    if (!setup) return;
    const { env, node } = setup;
    // On kwok nothing is cloned; the run only has to get through its checkout container.
    const repo = node
      ? await serveGitRepo(t, node, 2)
      : { url: 'git://127.0.0.1/repo.git', commits: ['0'.repeat(40), '1'.repeat(40)] };
    const first = repo.commits[0] ?? '';
    await env.createRun(
      'checkout',
      {
        image,
        source: { git: { url: repo.url, revision: first, depth: 1 } },
        steps: [{ name: 'check', script: 'pwd; cat version; test "$(cat version)" = v1' }],
      },
      { annotations: sim('500ms') },
    );
    const run = await env.waitForPhase('checkout', 'Succeeded', { timeoutMs: 120_000 });
    assert.equal(run.status?.steps?.[0]?.exitCode, 0);
    if (where === 'real') {
      assert.match(logs(env, 'checkout-1', 'furrow-checkout'), new RegExp(`checked out ${first}`));
      assert.match(logs(env, 'checkout-1', 'check'), /\/workspace\/source\nv1/);
    }
  });
}

test('[real] the step wrapper stops a step at its own timeout and onError: continue goes on', async (t) => {
  const setup = await environment(t, 'real');
  if (!setup) return;
  const { env } = setup;
  await env.createRun('wrapped', {
    image,
    steps: [
      { name: 'slow', script: 'echo slow started; sleep 300', timeout: '3s', onError: 'continue' },
      { name: 'broken', command: ['sh', '-c', 'echo broken; exit 5'], onError: 'continue' },
      { name: 'last', script: 'echo last ran' },
    ],
  });
  const run = await env.waitForPhase('wrapped', 'Succeeded', { timeoutMs: 120_000 });
  assert.deepEqual(
    run.status?.steps?.map((s) => [s.name, s.state, s.exitCode, s.reason]),
    [
      ['slow', 'failed', 124, 'TimedOut'],
      ['broken', 'failed', 5, 'Error'],
      ['last', 'succeeded', 0, 'Completed'],
    ],
  );
  assert.match(logs(env, 'wrapped-1', 'last'), /last ran/);
});

test('[real] a script containing $$, $(HOME) and \\ reaches the shell byte for byte, in every form a script takes', async (t) => {
  const setup = await environment(t, 'real');
  if (!setup) return;
  const { env } = setup;
  // Kubernetes would turn $$ into $ and $(HOME) into the env's HOME if the script went
  // through its expansion unescaped; the quoted here-document prints the text as it arrived.
  const text = 'pid $$ home $(HOME) backslash \\ escaped \\n brace ${HOME} twice $$$$ end$';
  const script = `cat <<'EOF'\n${text}\nEOF\n`;
  const home = [{ name: 'HOME', value: '/expanded-by-kubernetes' }];
  await env.createRun('verbatim', {
    image,
    env: home,
    services: [
      {
        name: 'svc',
        image,
        env: home,
        script: `${script}trap "exit 0" TERM; while true; do sleep 1; done\n`,
      },
    ],
    steps: [
      { name: 'plain', script },
      { name: 'shebang', script: `#!/bin/sh\n${script}` },
      { name: 'wrapped', script, timeout: '1m' },
    ],
  });
  const run = await env.waitForPhase('verbatim', 'Succeeded', { timeoutMs: 120_000 });
  assert.deepEqual(
    run.status?.steps?.map((s) => s.exitCode),
    [0, 0, 0],
  );
  for (const container of ['plain', 'shebang', 'wrapped', 'svc'])
    assert.equal(logs(env, 'verbatim-1', container), `${text}\n`, container);
});

test('[real] a private repository over HTTP: the checkout authenticates with the Secret; without it the same server refuses, and a missing key is named', async (t) => {
  const setup = await environment(t, 'real');
  if (!setup?.node) return;
  const { env, node } = setup;
  const password = `s3cret-${suffix()}`;
  const repo = await servePrivateGitRepo(t, node, { username: 'furrow', password });
  const secret = async (name: string, type: string, stringData: Record<string, string>) => {
    await core().createNamespacedSecret({
      namespace: env.namespace,
      body: { metadata: { name }, type, stringData },
    });
  };
  await secret('repo-login', 'kubernetes.io/basic-auth', { username: 'furrow', password });
  await secret('no-password', 'kubernetes.io/basic-auth', { username: 'furrow' });
  await secret('deploy-key', 'kubernetes.io/ssh-auth', { 'ssh-privatekey': 'not a real key\n' });
  // The SSH "server": it counts connections, and must see none, as the checkout refuses first.
  let sshConnections = 0;
  const ssh = net.createServer((socket) => {
    sshConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => ssh.listen(0, nodeIP(node), resolve));
  t.after(() => ssh.close());
  const sshPort = (ssh.address() as net.AddressInfo).port;

  const revision = repo.commits[0] ?? '';
  const source = (secretName?: string, url = repo.url) => ({
    git: { url, revision, ...(secretName ? { credentials: { secretName } } : {}) },
  });
  const check = [
    {
      name: 'check',
      // The step sees the source, but neither the Secret's files nor its password anywhere.
      script: `cat version; test "$(cat version)" = v1
test ! -e /var/run/secrets/furrow.dev/git-credentials
if grep -r -q ${password} /workspace; then echo password in the workspace; exit 1; fi
echo credentials unseen`,
    },
  ];
  await env.createRun('private', { image, source: source('repo-login'), steps: check });
  await env.createRun('anonymous', { image, source: source(), steps: check });
  await env.createRun('missing-key', { image, source: source('no-password'), steps: check });
  await env.createRun('missing-secret', { image, source: source('absent'), steps: check });
  await env.createRun('no-known-hosts', {
    image,
    source: source('deploy-key', `ssh://git@${nodeIP(node)}:${sshPort}/repo.git`),
    steps: check,
  });

  const ok = await env.waitForPhase('private', 'Succeeded', { timeoutMs: 120_000 });
  assert.equal(ok.status?.steps?.[0]?.exitCode, 0);
  assert.match(logs(env, 'private-1', 'furrow-checkout'), new RegExp(`checked out ${revision}`));
  assert.equal(logs(env, 'private-1', 'check'), 'v1\ncredentials unseen\n');

  const refused: [string, RegExp][] = [
    ['anonymous', /could not read Username|Authentication failed/],
    ['missing-key', /Secret no-password has no key password/],
    ['missing-secret', /Secret absent has no key username/],
    ['no-known-hosts', /Secret deploy-key has no key known_hosts.*never turns off host key checking/],
  ];
  for (const [name, message] of refused) {
    const run = await env.waitForPhase(name, 'Failed', { timeoutMs: 120_000 });
    assert.equal(run.status?.reason, 'CheckoutFailed', name);
    assert.match(run.status?.message ?? '', message, name);
    assert.equal(run.status?.steps?.[0]?.state, 'skipped', name);
  }
  assert.ok(repo.served > 0, 'the server served the authenticated clone');
  assert.ok(repo.refused > 0, 'the server refused the anonymous one');
  assert.equal(sshConnections, 0, 'no SSH connection without known_hosts');
});
