// furrow-api and `kubectl furrow logs` on the real API server: the APIService becomes
// Available through the aggregator; a ServiceAccount holding only the built-in `view` role in
// namespace A reads A's run's live logs (a real container's numbered lines, on the real node)
// and is refused in namespace B; `-f` on a queued run shows its place, prints each step's lines
// in order as they arrive, and exits 0 or 1 by the run's outcome.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startFurrowApi } from '../support/furrow-api.ts';
import { kubectl, testNamespace, waitFor } from '../support/kube.ts';
import { realNodeEnv, realNodeImages, requireRealNode } from '../support/real-node.ts';
import { kubectlAs, serviceAccountKubeconfig } from '../support/release.ts';
import { kubectlPath, repoRoot } from '../support/paths.ts';
import { createObject } from '../support/furrow.ts';

const image = realNodeImages.busybox;
// `kubectl furrow` finds the plugin on PATH, as a user's kubectl would (make install puts it there).
copyFileSync(path.join(repoRoot, 'scripts', 'kubectl-furrow'), path.join(repoRoot, 'bin', 'kubectl-furrow'));
process.env.PATH = `${path.join(repoRoot, 'bin')}:${process.env.PATH ?? ''}`;

/** A ServiceAccount in `namespace` bound to the built-in `view` ClusterRole there, and its kubeconfig. */
function viewer(t: Parameters<typeof serviceAccountKubeconfig>[0], namespace: string): string {
  for (const args of [
    ['create', 'serviceaccount', 'reader', '-n', namespace],
    [
      'create',
      'rolebinding',
      'reader-view',
      '--clusterrole=view',
      `--serviceaccount=${namespace}:reader`,
      '-n',
      namespace,
    ],
  ]) {
    const result = kubectl(args);
    assert.equal(result.code, 0, result.stderr);
  }
  return serviceAccountKubeconfig(t, 'reader', namespace);
}

interface Streamed {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each stdout line and the ms since start when it arrived. */
  arrivals: [string, number][];
}

function kubectlStreaming(kubeconfig: string, args: string[]): Promise<Streamed> {
  const started = Date.now();
  const child = spawn(kubectlPath, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
  const out: Streamed = { code: null, stdout: '', stderr: '', arrivals: [] };
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out.stdout += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) out.arrivals.push([line, Date.now() - started]);
  });
  child.stderr.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      out.code = code;
      resolve(out);
    }),
  );
}

test('[real] furrow-api: Available; view in A reads A’s live logs through kubectl furrow logs, and is refused in B', async (t) => {
  if (!(await requireRealNode(t))) return;
  const api = await startFurrowApi(t);
  const discovery = kubectl(['get', '--raw', '/apis/api.furrow.dev/v1alpha1']);
  assert.equal(discovery.code, 0, discovery.stderr);
  assert.deepEqual(
    (JSON.parse(discovery.stdout) as { resources: { name: string }[] }).resources.map((r) => r.name),
    ['pipelineruns/log', 'pipelineruns/archive'],
  );

  const env = await realNodeEnv(t);
  const other = await testNamespace(t, 'api-b');
  const kubeconfig = viewer(t, env.namespace);
  await env.createRun('numbers', {
    image,
    steps: [
      { name: 'count', script: 'for i in $(seq 1 200); do echo "line $i of 200"; done; printf "no newline"' },
      { name: 'hold', script: 'echo holding; sleep 30' },
    ],
  });
  // The same run name in B, so that B's refusal is about permission, not a missing run.
  await createObject(
    {
      apiVersion: 'furrow.dev/v1alpha1',
      kind: 'PipelineRun',
      metadata: { name: 'numbers' },
      spec: { pool: env.poolName, image, steps: [{ name: 'count', script: 'echo secret' }] },
    },
    other,
  );
  // Live: the pod still runs (the second step holds it), so nothing can come from an archive.
  await env.waitForRun('numbers', 'running its hold step', (r) => r.status?.phase === 'Running');
  await env.waitForRun('numbers', 'printing its lines', () =>
    kubectl(['logs', '-n', env.namespace, 'numbers-1', '-c', 'hold']).stdout.includes('holding'),
  );

  const mine = kubectlAs(kubeconfig, ['furrow', 'logs', 'numbers', '-n', env.namespace, '--step', 'count']);
  assert.equal(mine.code, 0, mine.stderr);
  const expected = [
    ...Array.from({ length: 200 }, (_, i) => `[count] line ${i + 1} of 200`),
    '[count] no newline',
  ];
  assert.deepEqual(mine.stdout.trimEnd().split('\n'), expected);
  // All steps, in pod order, each line prefixed with its step.
  const all = kubectlAs(kubeconfig, ['furrow', 'logs', 'numbers', '-n', env.namespace]);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(all.stdout.trimEnd().split('\n').slice(-2), ['[count] no newline', '[hold] holding']);
  // Through the aggregated API directly, the raw bytes (no prefix, no added newline).
  const raw = kubectlAs(kubeconfig, [
    'get',
    '--raw',
    `/apis/api.furrow.dev/v1alpha1/namespaces/${env.namespace}/pipelineruns/numbers/log?container=count`,
  ]);
  assert.equal(raw.code, 0, raw.stderr);
  assert.ok(
    raw.stdout.startsWith('line 1 of 200\n') && raw.stdout.endsWith('line 200 of 200\nno newline'),
    raw.stdout.slice(-40),
  );
  // furrow-api read it as its own ServiceAccount, for the reader it authenticated.
  // (spawnSync held this process: its log lines arrive now.)
  const served = await waitFor('furrow-api’s log of the request', () =>
    Promise.resolve(
      api.logs.find(
        (l) =>
          l.path === `/apis/api.furrow.dev/v1alpha1/namespaces/${env.namespace}/pipelineruns/numbers/log` &&
          l.code === 200,
      ),
    ),
  );
  assert.equal(served.user, `system:serviceaccount:${env.namespace}:reader`);

  // Namespace B: refused, by the plugin and by the aggregated API.
  const refused = kubectlAs(kubeconfig, ['furrow', 'logs', 'numbers', '-n', other]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /forbidden/i);
  assert.doesNotMatch(refused.stdout, /secret/);
  const rawB = kubectlAs(kubeconfig, [
    'get',
    '--raw',
    `/apis/api.furrow.dev/v1alpha1/namespaces/${other}/pipelineruns/numbers/log?container=count`,
  ]);
  assert.notEqual(rawB.code, 0);
  assert.match(rawB.stderr, /forbidden|Forbidden/);
  const can = kubectlAs(kubeconfig, [
    'auth',
    'can-i',
    'get',
    'pipelineruns.api.furrow.dev',
    '--subresource=log',
    '-n',
    other,
  ]);
  assert.equal(can.stdout.trim(), 'no');
  // Allowed pipelineruns/log by RBAC but not to get the run itself: furrow-api's own
  // SubjectAccessReview refuses (the kube-apiserver let the request through).
  const role = `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"logs-only"},"rules":[{"apiGroups":["api.furrow.dev"],"resources":["pipelineruns/log"],"verbs":["get"]}]}`;
  for (const [args, input] of [
    [['create', 'serviceaccount', 'logs-only', '-n', env.namespace]],
    [['apply', '-n', env.namespace, '-f', '-'], role],
    [
      [
        'create',
        'rolebinding',
        'logs-only',
        '--role=logs-only',
        `--serviceaccount=${env.namespace}:logs-only`,
        '-n',
        env.namespace,
      ],
    ],
  ] as [string[], string?][]) {
    const result = kubectl(args, input);
    assert.equal(result.code, 0, result.stderr);
  }
  const logsOnly = kubectlAs(serviceAccountKubeconfig(t, 'logs-only', env.namespace), [
    'get',
    '--raw',
    `/apis/api.furrow.dev/v1alpha1/namespaces/${env.namespace}/pipelineruns/numbers/log?container=count`,
  ]);
  assert.notEqual(logsOnly.code, 0);
  assert.match(logsOnly.stderr, /cannot get resource "pipelineruns" in API group "furrow.dev"/);
  // And a bad parameter is a 400 naming it, through the whole chain.
  const bad = kubectlAs(kubeconfig, [
    'get',
    '--raw',
    `/apis/api.furrow.dev/v1alpha1/namespaces/${env.namespace}/pipelineruns/numbers/log?container=count&attempt=zero`,
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /attempt/);
});

test('[real] kubectl furrow logs -f: waits through Queued, prints each step’s lines in order as they arrive, exits by outcome', async (t) => {
  if (!(await requireRealNode(t))) return;
  await startFurrowApi(t);
  const env = await realNodeEnv(t, { maxConcurrentRuns: 1 });
  const kubeconfig = viewer(t, env.namespace);
  await env.createRun('blocker', { image, steps: [{ name: 'wait', script: 'sleep 6' }] });
  await env.waitForRun(
    'blocker',
    'running',
    (r) => r.status?.phase === 'Running' || r.status?.phase === 'Pending',
  );
  await env.createRun('good', {
    image,
    steps: [
      { name: 'first', script: 'for i in 1 2 3; do echo "first $i"; sleep 1; done' },
      { name: 'second', script: 'for i in 1 2 3; do echo "second $i"; sleep 1; done' },
    ],
  });
  await env.createRun('bad', { image, steps: [{ name: 'fails', script: 'echo "about to fail"; exit 3' }] });
  await env.waitForRun('good', 'queued', (r) => r.status?.phase === 'Queued');

  const [good, bad] = await Promise.all([
    kubectlStreaming(kubeconfig, ['furrow', 'logs', 'good', '-n', env.namespace, '-f']),
    kubectlStreaming(kubeconfig, ['furrow', 'logs', 'bad', '-n', env.namespace, '-f']),
  ]);
  assert.match(good.stderr, /Queued: position \d+ in pool/);
  assert.deepEqual(
    good.arrivals.map(([line]) => line),
    [
      '[first] first 1',
      '[first] first 2',
      '[first] first 3',
      '[second] second 1',
      '[second] second 2',
      '[second] second 3',
    ],
  );
  // As they arrive: a second apart, not all at once at the end.
  const times = good.arrivals.map(([, ms]) => ms);
  assert.ok((times.at(-1) ?? 0) - (times[0] ?? 0) >= 4000, `lines arrived at ${times.join(', ')} ms`);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stderr, /pipelinerun good Succeeded/);

  assert.deepEqual(
    bad.arrivals.map(([line]) => line),
    ['[fails] about to fail'],
  );
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /pipelinerun bad Failed/);
  assert.equal((await env.run('good')).status?.phase, 'Succeeded');
});
