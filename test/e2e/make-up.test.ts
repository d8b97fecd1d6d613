// `make up` and `make down` (scripts/up.sh and scripts/down.sh) as the README has a new user
// run them, against the local cluster the global setup runs: up reuses the cluster, installs
// the chart, runs the operator with the chart ServiceAccount's token and watches the demo
// PipelineRun to success; down removes what up made and leaves the cluster running. Every
// name is the test's own (the scripts' FURROW_UP_* settings), so other tests are undisturbed.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { PipelineRun } from '../../src/resources/types.ts';
import { core, custom, kubeconfigPath, kubectl, suffix } from '../support/kube.ts';
import { coordinationApi } from '../support/leases.ts';
import { requireKwok } from '../support/nodes.ts';
import { freePort } from '../support/operator.ts';
import { localObjectStore } from '../support/object-store.ts';
import { clusterScripts, localKubeconfig, repoRoot } from '../support/paths.ts';
import { gone, helmOnCluster } from '../support/release.ts';
import { group, nodePoolNames, version } from '../../src/resources/names.ts';

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('make up on the running local cluster ends with a succeeded PipelineRun, again when repeated; make down removes what it made and leaves the cluster', async (t) => {
  if (!(await requireKwok(t))) return;
  if (kubeconfigPath() !== localKubeconfig) {
    t.skip('make up uses the local cluster unless KUBECONFIG names another; this run tests another cluster');
    return;
  }
  const id = suffix();
  const state = mkdtempSync(path.join(tmpdir(), 'furrow-up-'));
  const names = {
    release: `furrow-up-${id}`,
    namespace: `e2e-up-${id}`,
    runs: `e2e-up-runs-${id}`,
    pool: `e2e-up-${id}`,
    nodes: [`up-${id}-0`, `up-${id}-1`],
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: localKubeconfig,
    FURROW_UP_RELEASE: names.release,
    FURROW_UP_NAMESPACE: names.namespace,
    FURROW_UP_RUNS_NAMESPACE: names.runs,
    FURROW_UP_POOL: names.pool,
    FURROW_UP_NODE_CLASS: `up-${id}`,
    FURROW_UP_STATE: state,
    FURROW_UP_HEALTH_PORT: String(await freePort()),
    FURROW_UP_METRICS_PORT: String(await freePort()),
    FURROW_UP_HELM_ARGS: '',
    // The process path (make up's fallback without a real node); test/e2e/chart-pod.test.ts runs
    // the chart's pods, and .ci/run's own `make up` takes the in-cluster path (ADR 16).
    FURROW_UP_IN_CLUSTER: '0',
  };
  const script = async (name: string) => {
    const started = Date.now();
    try {
      const { stdout } = await run(path.join(repoRoot, 'scripts', name), { env, timeout: 240_000 });
      t.diagnostic(`${name} took ${Date.now() - started} ms`);
      return stdout;
    } catch (err) {
      const { stdout, stderr } = err as { stdout?: string; stderr?: string };
      throw new Error(`scripts/${name} failed: ${String(err)}\n${stdout ?? ''}${stderr ?? ''}`, {
        cause: err,
      });
    }
  };
  const operatorPids: number[] = [];
  // Whatever fails: down.sh, then by hand what it should have removed.
  t.after(async () => {
    await script('down.sh').catch((err: unknown) => t.diagnostic(String(err)));
    for (const pid of operatorPids.filter(alive)) process.kill(pid, 'SIGKILL');
    kubectl(['patch', 'nodepool', names.pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    kubectl(['delete', 'nodepool', names.pool, '--ignore-not-found', '--wait=false']);
    helmOnCluster(['uninstall', names.release, '-n', names.namespace, '--ignore-not-found']);
    kubectl(['delete', 'namespace', names.namespace, names.runs, '--ignore-not-found', '--wait=false']);
    kubectl(['delete', 'node', ...names.nodes, '--ignore-not-found', '--wait=false']);
    rmSync(state, { recursive: true, force: true });
  });

  const demoRun = () =>
    custom().getNamespacedCustomObject({
      group,
      version,
      plural: 'pipelineruns',
      namespace: names.runs,
      name: 'shop-api-main',
    }) as Promise<PipelineRun>;
  for (const attempt of ['first', 'again']) {
    const out = await script('up.sh');
    // What the user sees: the watch's rows, ending with the run succeeded, and what's next.
    assert.match(out, /^NAME\s+POOL\s+STATUS\s+REASON\s+NODE\s+AGE\s+DURATION$/m, `${attempt}: ${out}`);
    assert.match(
      out,
      new RegExp(`^shop-api-main\\s+${names.pool}\\s+Succeeded\\s`, 'm'),
      `${attempt}: ${out}`,
    );
    assert.match(out, /Furrow is up: PipelineRun shop-api-main succeeded/);
    assert.match(out, /make down/);
    const succeeded = await demoRun();
    assert.equal(succeeded.status?.phase, 'Succeeded');
    assert.ok(names.nodes.includes(succeeded.status?.nodeName ?? ''), 'the demo ran on its own nodes');
  }
  const operatorPid = Number(readFileSync(path.join(state, 'operator.pid'), 'utf8'));
  operatorPids.push(operatorPid);
  assert.ok(alive(operatorPid), 'the operator runs in the background');
  // The local cluster's object store reaches the operator: settings through the chart, keys
  // (the chart's Secret's) in its environment.
  const store = localObjectStore();
  const operatorEnv = readFileSync(`/proc/${operatorPid}/environ`, 'utf8').split('\0');
  for (const [name, value] of Object.entries(store.env))
    assert.ok(operatorEnv.includes(`${name}=${value}`), `the operator has ${name} of the local store`);
  const log = readFileSync(path.join(state, 'operator.log'), 'utf8');
  assert.doesNotMatch(log, /forbidden|\b403\b/i);
  // The second up stopped the first operator (it released the Lease) and started another.
  assert.equal(log.match(/starting furrow operator/g)?.length, 2, log);
  const lease = await coordinationApi().readNamespacedLease({
    name: names.release,
    namespace: names.namespace,
  });
  assert.match(lease.spec?.holderIdentity ?? '', /^make-up-/);

  await script('down.sh');
  assert.ok(!alive(operatorPid), 'the operator is stopped');
  assert.ok(!existsSync(state), 'the state directory is removed');
  assert.notEqual(helmOnCluster(['status', names.release, '-n', names.namespace]).code, 0, 'no release');
  for (const namespace of [names.namespace, names.runs])
    assert.ok(await gone(() => core().readNamespace({ name: namespace })), `namespace ${namespace} is gone`);
  for (const node of names.nodes)
    assert.ok(await gone(() => core().readNode({ name: node })), `${node} is gone`);
  assert.ok(
    await gone(() =>
      custom().getClusterCustomObject({ group, version, plural: nodePoolNames.plural, name: names.pool }),
    ),
    'the pool is gone',
  );
  assert.equal(kubectl(['get', 'clusterrole', names.release, '--ignore-not-found', '-o', 'name']).stdout, '');
  // The cluster was running before make up, so make down leaves it running.
  execFileSync(path.join(clusterScripts, 'status.sh'), { stdio: 'ignore' });
});
