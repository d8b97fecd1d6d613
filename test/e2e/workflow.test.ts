// The user's whole workflow on the local cluster, with exactly the chart's permissions: helm
// install (replicas 0: kwok's nodes can't run the image, so the operator runs beside the
// cluster as a process, with a token of the chart's ServiceAccount and the settings of the
// chart's Deployment), kubectl apply the examples, kubectl get and wait, RBAC that allows what
// the operator does and nothing else, helm upgrade, helm uninstall.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { PipelineRun } from '../../src/resources/types.ts';
import { examples, type Manifest } from '../support/fixtures.ts';
import { installCrds } from '../support/furrow.ts';
import { chartDir } from '../support/helm.ts';
import { core, custom, kubeConfig, kubectl, suffix, testNamespace, waitFor } from '../support/kube.ts';
import { coordinationApi } from '../support/leases.ts';
import { createKwokNode, requireKwok } from '../support/nodes.ts';
import { startOperator, type LogLine, type OperatorProcess } from '../support/operator.ts';
import {
  deploymentEnv,
  gone,
  helmOnCluster,
  kubectlAs,
  serviceAccountKubeconfig,
} from '../support/release.ts';
import { group, nodePoolNames, version } from '../../src/resources/names.ts';

const apps = () => kubeConfig().makeApiClient(k8s.AppsV1Api);
const rbac = () => kubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
const apiextensions = () => kubeConfig().makeApiClient(k8s.ApiextensionsV1Api);

function ok(result: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(result.code, 0, `${what} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Log lines that say the API server refused the operator. */
function refusals(logs: LogLine[]): LogLine[] {
  return logs.filter((l) => /\b403\b|forbidden/i.test(JSON.stringify(l)));
}

test('helm install, kubectl apply the examples, kubectl wait, helm upgrade and uninstall, with exactly the chart’s RBAC', async (t) => {
  if (!(await requireKwok(t))) return;
  await installCrds();
  const id = suffix();
  // Release and pool names are cluster-wide (ClusterRole, NodePool): unique per run.
  const release = `furrow-e2e-${id}`;
  const pool = `e2e-workflow-${id}`;
  const nodeClass = `workflow-${id}`;
  const system = await testNamespace(t, 'workflow-system');
  const runs = await testNamespace(t, 'workflow-runs');

  // Whatever fails: the pool goes while the operator can still release its nodes (else its
  // finalizer is lifted), then the release. Runs after the namespaces' deletion has started
  // and before the nodes and the operator go (after-hooks run in the order registered).
  t.after(() => {
    kubectl(['delete', 'nodepool', pool, '--ignore-not-found', '--timeout=15s']);
    kubectl(['patch', 'nodepool', pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    helmOnCluster(['uninstall', release, '-n', system, '--ignore-not-found']);
    kubectl(['delete', 'clusterrole,clusterrolebinding', release, '--ignore-not-found']);
  });

  // 1. helm install, as the chart README says for running the operator outside the cluster.
  ok(
    helmOnCluster([
      'install',
      release,
      chartDir,
      '-n',
      system,
      '--set',
      'replicas=0',
      '--set',
      'leaderElection.enabled=true',
      '--set',
      `namespaces={${runs}}`,
      // No furrow-api here (test/e2e/furrow-api.test.ts runs it): its APIService would stay
      // unavailable without an endpoint, and break discovery for the other tests meanwhile.
      '--set',
      'api.enabled=false',
      '--wait',
    ]),
    'helm install',
  );
  const deployment = await apps().readNamespacedDeployment({ name: release, namespace: system });
  assert.equal(deployment.spec?.replicas, 0);

  // One installation per cluster: a second release, in another namespace, is refused by name
  // before Helm creates anything (templates/installation-check.yaml).
  const second = await testNamespace(t, 'workflow-second');
  const secondRelease = `furrow-second-${id}`;
  const refused = helmOnCluster(['install', secondRelease, chartDir, '-n', second, '--set', 'replicas=0']);
  assert.notEqual(refused.code, 0, 'a second installation is refused');
  assert.match(
    refused.stderr,
    new RegExp(`Furrow is already installed in this cluster: release ${release} in namespace ${system}`),
  );
  assert.notEqual(helmOnCluster(['status', secondRelease, '-n', second]).code, 0, 'no second release');
  const secondObjects = await apps().listNamespacedDeployment({ namespace: second });
  assert.equal(secondObjects.items.length, 0, 'the refused release created nothing');
  // The release itself passes its own check: an upgrade in place is allowed.
  ok(
    helmOnCluster(['upgrade', release, chartDir, '-n', system, '--reuse-values', '--dry-run=server']),
    'helm upgrade of the installed release passes the check',
  );
  const serviceAccount = deployment.spec?.template.spec?.serviceAccountName ?? '';
  assert.equal(serviceAccount, release);

  // 2. The operator, with the ServiceAccount's token and the Deployment's settings.
  const saKubeconfig = serviceAccountKubeconfig(t, serviceAccount, system);
  const whoami = ok(
    kubectlAs(saKubeconfig, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']),
    'whoami',
  );
  assert.equal(whoami, `system:serviceaccount:${system}:${serviceAccount}`);
  const podName = `${release}-local`;
  const settings = deploymentEnv(deployment, podName);
  assert.equal(settings.FURROW_NAMESPACES, runs, 'the operator reconciles only this test’s namespace');
  assert.equal(settings.FURROW_LEADER_ELECT, 'true');
  const start = (env: Record<string, string>, name: string): Promise<OperatorProcess> =>
    startOperator(t, { kubeconfig: saKubeconfig, env, name });
  let operator = await start(settings, 'installed');
  await waitFor('the operator to lead', async () => {
    const lease = await coordinationApi().readNamespacedLease({ name: release, namespace: system });
    return lease.spec?.holderIdentity === podName;
  });

  // 3. kubectl apply the examples: the pool selecting this test's own nodes, the runs on it.
  const nodes = [`e2e-workflow-${id}-0`, `e2e-workflow-${id}-1`];
  for (const node of nodes) await createKwokNode(t, node, { labels: { 'furrow.dev/class': nodeClass } });
  const poolExample = examples().find((e) => e.manifest.kind === 'NodePool')?.manifest as Manifest & {
    spec: { nodeSelector: { matchLabels: Record<string, string> } };
  };
  const poolManifest = {
    ...poolExample,
    metadata: { name: pool },
    spec: {
      ...poolExample.spec,
      nodeSelector: { ...poolExample.spec.nodeSelector, matchLabels: { 'furrow.dev/class': nodeClass } },
    },
  };
  ok(kubectl(['apply', '-f', '-'], dump(poolManifest)), 'kubectl apply the pool');
  // Each container "runs" 300 ms on kwok; the audit step of failing-step-continue exits 1.
  const sim: Record<string, Record<string, string>> = {
    'failing-step-continue.yaml': {
      'sim.furrow.dev/fail-container': 'audit',
      'sim.furrow.dev/exit-code': '1',
    },
  };
  const runExamples = examples().filter((e) => e.manifest.kind === 'PipelineRun');
  const runManifests = runExamples.map(({ file, manifest }) => ({
    ...manifest,
    metadata: {
      ...manifest.metadata,
      annotations: { 'sim.furrow.dev/duration': '300ms', ...sim[file] },
    },
    spec: { ...(manifest.spec as object), pool },
  }));
  const names = runManifests.map((m) => m.metadata.name);
  assert.ok(names.length >= 3, `the examples' runs: ${names.join(', ')}`);
  ok(
    kubectl(['apply', '-n', runs, '-f', '-'], runManifests.map((m) => dump(m)).join('---\n')),
    'kubectl apply',
  );

  // 4. kubectl wait for every run, and kubectl get shows them with the columns.
  ok(
    kubectl([
      'wait',
      '-n',
      runs,
      '--for=condition=Succeeded',
      '--timeout=50s',
      ...names.map((n) => `prun/${n}`),
    ]),
    'kubectl wait --for=condition=Succeeded',
  );
  const table = ok(kubectl(['get', 'pipelineruns', '-n', runs]), 'kubectl get pipelineruns')
    .trim()
    .split('\n');
  assert.deepEqual(table[0]?.split(/\s+/), ['NAME', 'POOL', 'STATUS', 'REASON', 'NODE', 'AGE', 'DURATION']);
  assert.equal(table.length, names.length + 1);
  for (const row of table.slice(1)) {
    const [name, rowPool, status, reason, node, , duration] = row.split(/\s+/);
    assert.ok(names.includes(name ?? ''), row);
    assert.equal(rowPool, pool, row);
    assert.equal(status, 'Succeeded', row);
    assert.ok(reason, row);
    assert.ok(nodes.includes(node ?? ''), `runs on this test's nodes: ${row}`);
    assert.match(duration ?? '', /^\d+(\.\d+)?m?s$|^\d+m\d+s$/, row);
  }
  const audited = (await custom().getNamespacedCustomObject({
    group,
    version,
    plural: 'pipelineruns',
    namespace: runs,
    name: 'storefront-audit',
  })) as PipelineRun;
  const audit = audited.status?.steps?.find((s) => s.name === 'audit');
  assert.deepEqual(
    [audit?.state, audit?.exitCode],
    ['failed', 1],
    'the audit step failed and the run went on',
  );

  // 5. The RBAC is minimal: the API server refuses what the operator doesn't do.
  const canI = (args: string[]) => kubectlAs(saKubeconfig, ['auth', 'can-i', ...args]).stdout.trim();
  const allowed = [
    ['list', 'pipelineruns.furrow.dev', '-n', runs],
    ['watch', 'pipelineruns.furrow.dev', '-n', runs],
    ['delete', 'pipelineruns.furrow.dev', '-n', runs],
    ['patch', 'pipelineruns.furrow.dev', '--subresource=status', '-n', runs],
    ['patch', 'nodepools.furrow.dev'],
    ['patch', 'nodepools.furrow.dev', '--subresource=status'],
    ['create', 'pods', '-n', runs],
    ['delete', 'pods', '-n', runs],
    ['patch', 'nodes'],
    ['list', 'namespaces'],
    ['create', 'events.events.k8s.io', '-n', runs],
    ['create', 'leases.coordination.k8s.io', '-n', system],
    ['update', `leases.coordination.k8s.io/${release}`, '-n', system],
  ];
  const forbidden = [
    ['delete', 'nodes'],
    ['get', 'nodes'],
    ['get', 'secrets', '-n', runs],
    ['list', 'secrets', '-n', system],
    ['create', 'namespaces'],
    ['create', 'pipelineruns.furrow.dev', '-n', runs],
    ['update', 'pipelineruns.furrow.dev', '-n', runs],
    ['patch', 'pipelineruns.furrow.dev', '-n', runs],
    ['get', 'pipelineruns.furrow.dev', '-n', runs],
    ['create', 'nodepools.furrow.dev'],
    ['delete', 'nodepools.furrow.dev'],
    ['update', 'pods', '-n', runs],
    ['create', 'pods', '--subresource=exec', '-n', runs],
    ['create', 'deployments.apps', '-n', system],
    ['update', 'leases.coordination.k8s.io/another', '-n', system],
    ['create', 'leases.coordination.k8s.io', '-n', runs],
    ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
  ];
  for (const args of allowed) assert.equal(canI(args), 'yes', `can-i ${args.join(' ')}`);
  for (const args of forbidden) assert.equal(canI(args), 'no', `can-i ${args.join(' ')}`);
  const denied = kubectlAs(saKubeconfig, ['delete', 'nodes', nodes[0] ?? '', '--dry-run=server']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /forbidden/);
  assert.deepEqual(refusals(operator.logs), [], 'the operator was never refused');
  assert.doesNotMatch(await operator.metrics(), /furrow_api_requests_total\{[^}]*code="403"/);

  // 6. helm upgrade with changed values: the Deployment's template changes and rolls out (to
  // zero pods); the operator restarted with its new settings runs the next run.
  ok(
    helmOnCluster([
      'upgrade',
      release,
      chartDir,
      '-n',
      system,
      '--reuse-values',
      '--set',
      'workers=3',
      '--set',
      'logLevel=debug',
      '--wait',
    ]),
    'helm upgrade',
  );
  const upgraded = await apps().readNamespacedDeployment({ name: release, namespace: system });
  assert.ok((upgraded.metadata?.generation ?? 0) > (deployment.metadata?.generation ?? 0));
  const newSettings = deploymentEnv(upgraded, podName);
  assert.deepEqual(
    [newSettings.FURROW_WORKERS, newSettings.FURROW_LOG_LEVEL, newSettings.FURROW_NAMESPACES],
    ['3', 'debug', runs],
  );
  ok(
    kubectl(['rollout', 'status', `deployment/${release}`, '-n', system, '--timeout=30s']),
    'kubectl rollout status',
  );
  const replicaSets = await apps().listNamespacedReplicaSet({
    namespace: system,
    labelSelector: `app.kubernetes.io/instance=${release}`,
  });
  assert.equal(replicaSets.items.length, 2, 'a new ReplicaSet for the new template');
  assert.equal(await operator.stop(), 0);
  operator = await start(newSettings, 'upgraded');
  const started = operator.logs.find((l) => l.message === 'starting furrow operator');
  assert.equal(started?.workers, 3);
  const again = runManifests.find((m) => m.metadata.name === 'inventory-v1-4-2') ?? runManifests[0];
  assert.ok(again);
  const after = { ...again, metadata: { ...again.metadata, name: 'after-upgrade' } };
  ok(kubectl(['apply', '-n', runs, '-f', '-'], dump(after)), 'kubectl apply after the upgrade');
  ok(
    kubectl(['wait', '-n', runs, '--for=condition=Succeeded', '--timeout=50s', 'prun/after-upgrade']),
    'kubectl wait after the upgrade',
  );

  // 7. Delete the pool while the operator runs (its nodes lose the taint), then uninstall.
  ok(kubectl(['delete', 'nodepool', pool, '--timeout=30s']), 'kubectl delete nodepool');
  for (const node of nodes) {
    const taints = (await core().readNode({ name: node })).spec?.taints ?? [];
    assert.deepEqual(
      taints.filter((taint) => taint.key.startsWith('furrow.dev/')),
      [],
      `${node} is released`,
    );
  }
  assert.deepEqual(refusals(operator.logs), [], 'the operator was never refused');
  assert.equal(await operator.stop(), 0);
  ok(helmOnCluster(['uninstall', release, '-n', system, '--wait']), 'helm uninstall');

  const removed: [string, () => Promise<unknown>][] = [
    ['Deployment', () => apps().readNamespacedDeployment({ name: release, namespace: system })],
    [
      'ServiceAccount',
      () => core().readNamespacedServiceAccount({ name: serviceAccount, namespace: system }),
    ],
    [
      'metrics Service',
      () => core().readNamespacedService({ name: `${release}-metrics`, namespace: system }),
    ],
    ['ClusterRole', () => rbac().readClusterRole({ name: release })],
    ['ClusterRoleBinding', () => rbac().readClusterRoleBinding({ name: release })],
    ['Role', () => rbac().readNamespacedRole({ name: `${release}-leader-election`, namespace: system })],
    [
      'RoleBinding',
      () => rbac().readNamespacedRoleBinding({ name: `${release}-leader-election`, namespace: system }),
    ],
  ];
  for (const [what, read] of removed) assert.ok(await gone(read), `${what} is removed`);
  for (const crd of ['pipelineruns.furrow.dev', `${nodePoolNames.plural}.${group}`]) {
    assert.ok(await apiextensions().readCustomResourceDefinition({ name: crd }), `${crd} is kept`);
  }
  const kept = ok(kubectl(['get', 'pipelineruns', '-n', runs, '-o', 'name']), 'kubectl get')
    .trim()
    .split('\n');
  assert.deepEqual(kept.sort(), [...names, 'after-upgrade'].map((n) => `pipelinerun.furrow.dev/${n}`).sort());
  // The token outlives the uninstall for a while (the API server caches authentications), but
  // it no longer grants anything.
  const stale = kubectlAs(saKubeconfig, ['get', 'pipelineruns', '-n', runs]);
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /Unauthorized|Forbidden/);
});
