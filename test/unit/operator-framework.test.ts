// Keeps the boundary of docs/adr/0005-operator-framework.md: of @dot-i/k8s-operator only the
// Operator lifecycle base class is used, and it runs on our client-node, not its own 0.20.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/paths.ts';

const forbidden = [
  'watchResource',
  'setResourceStatus',
  'patchResourceStatus',
  'handleResourceFinalizer',
  'setResourceFinalizers',
  'registerCustomResourceDefinition',
  'getCustomResourceApiUri',
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

test('src/ calls none of the framework’s watch, status or finalizer helpers', () => {
  for (const file of sources(path.join(repoRoot, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const name of forbidden)
      assert.ok(!text.includes(`${name}(`), `${path.relative(repoRoot, file)} calls ${name}`);
  }
});

test('the framework uses the project’s client-node 2.x, not a nested 0.20 with request and jsonpath-plus 7', () => {
  const nested = path.join(repoRoot, 'node_modules/@dot-i/k8s-operator/node_modules/@kubernetes/client-node');
  assert.equal(existsSync(nested), false, 'a nested client-node is installed: check package.json overrides');
  const resolved = execFileSync(
    process.execPath,
    ['-p', "require('@kubernetes/client-node/package.json').version"],
    {
      cwd: path.join(repoRoot, 'node_modules/@dot-i/k8s-operator'),
      encoding: 'utf8',
    },
  ).trim();
  assert.match(resolved, /^2\./);
  assert.equal(existsSync(path.join(repoRoot, 'node_modules/request')), false, 'request is gone');
});

test('the lifecycle base class starts our init() and stops without exiting the process', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'furrow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
      'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  const script = `
    const { default: framework } = await import('@dot-i/k8s-operator');
    class Probe extends framework.default { async init() { console.log('init ran'); } }
    const probe = new Probe();
    await probe.start();
    probe.stop();
    setTimeout(() => console.log('still alive'), 100);
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  assert.match(out, /init ran/);
  assert.match(out, /still alive/);
});

test('a missing kubeconfig is a clear error at start-up, not a crash', () => {
  for (const env of [{ KUBECONFIG: '/nonexistent/kubeconfig' }, {}]) {
    const args = [
      path.join(repoRoot, 'src/main.ts'),
      '--log-format',
      'text',
      '--metrics-port',
      '0',
      '--health-port',
      '0',
    ];
    if (!('KUBECONFIG' in env)) args.push('--kubeconfig', '/nonexistent/kubeconfig');
    const result = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /could not start/);
    assert.match(result.stderr, /\/nonexistent\/kubeconfig/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  }
});

test('an uncaught exception is logged as such and exits 70, as an unhandled rejection does', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'furrow-uncaught-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  // A server nobody listens on: the operator starts and keeps retrying its watches.
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'x', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'x', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
      'current-context': 'x',
    }),
  );
  for (const [throwing, message] of [
    ['setTimeout(() => { throw new Error("injected") }, 1500)', 'uncaught exception; exiting'],
    [
      'setTimeout(() => { void Promise.reject(new Error("injected")) }, 1500)',
      'unhandled promise rejection; exiting',
    ],
  ] as const) {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(throwing)}`,
        path.join(repoRoot, 'src/main.ts'),
        '--kubeconfig',
        kubeconfig,
        '--log-format',
        'json',
        '--metrics-port',
        '0',
        '--health-port',
        '0',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(result.status, 70, result.stderr);
    const line = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; error?: string; level: string })
      .find((l) => l.message === message);
    assert.ok(line, `logged "${message}": ${result.stderr.slice(-500)}`);
    assert.equal(line.level, 'error');
    assert.match(line.error ?? '', /injected/);
  }
  rmSync(dir, { recursive: true, force: true });
});
