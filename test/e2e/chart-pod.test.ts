// The chart as users run it (ADR 16): its operator image, built without Docker and imported into
// the real node's containerd, runs as the chart's Deployment on the real node (the local
// cluster's patrician: runs go to simulated pool nodes). helm install with the chart's CRDs,
// the Deployment Available through its probes, a pool and runs that succeed, helm upgrade to two
// replicas and the leader pod killed: the standby takes the Lease and runs keep succeeding; the
// leader's memory with 10,000 finished runs cached; helm uninstall leaves no operator object and
// keeps the CRDs and the runs. Prints the times and sizes it measures. Fails (never skips) under
// FURROW_REAL_NODE=1 when the real node or the image is missing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { PipelineRun } from '../../src/resources/types.ts';
import { customResourceKey, etcdDeletePrefix, etcdPut } from '../support/etcd.ts';
import { chartDir } from '../support/helm.ts';
import { core, custom, kubeConfig, kubectl, suffix, testNamespace, waitFor } from '../support/kube.ts';
import { coordinationApi } from '../support/leases.ts';
import { createKwokNode, requireKwok } from '../support/nodes.ts';
import { clusterScripts } from '../support/paths.ts';
import { realNodeSelector, realNodeToleration, requireRealNode } from '../support/real-node.ts';
import { helmOnCluster } from '../support/release.ts';
import { group, version } from '../../src/resources/names.ts';

const apps = () => kubeConfig().makeApiClient(k8s.AppsV1Api);
const apiextensions = () => kubeConfig().makeApiClient(k8s.ApiextensionsV1Api);
const crds = [`pipelineruns.${group}`, `nodepools.${group}`];
const cachedRuns = 10_000;

function ok(result: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(result.code, 0, `${what} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function report(t: TestContext, line: string): void {
  t.diagnostic(line);
  console.log(`chart-pod: ${line}`);
}

/** The operator pods of the release, Ready or not. */
async function operatorPods(namespace: string, release: string): Promise<k8s.V1Pod[]> {
  const pods = await core().listNamespacedPod({
    namespace,
    labelSelector: `app.kubernetes.io/instance=${release},app.kubernetes.io/component!=api`,
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const ready = (p: k8s.V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function deploymentAvailable(namespace: string, name: string, replicas: number): Promise<boolean> {
  const d = await apps().readNamespacedDeployment({ name, namespace });
  const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
  return Boolean(available) && d.status?.readyReplicas === replicas && d.status.updatedReplicas === replicas;
}

/** A metric of the operator pod, read from its metrics port (the node's pods are host-reachable). */
async function metric(pod: k8s.V1Pod, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`http://${pod.status?.podIP}:8080/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function runPhase(namespace: string, name: string): Promise<string | undefined> {
  const run = (await custom().getNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'pipelineruns',
    name,
  })) as PipelineRun;
  return run.status?.phase;
}

test('helm install runs the chart’s operator pod on the real node; runs succeed; the standby takes over from a killed leader; helm uninstall keeps CRDs and runs', async (t) => {
  if (!(await requireRealNode(t)) || !(await requireKwok(t))) return;
  // The image: built from this checkout (cached) and imported. Its failure is the test's.
  const image = execFileSync(path.join(clusterScripts, 'real-node/operator-image.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const id = suffix();
  const release = `furrow-pod-${id}`;
  const pool = `chart-pod-${id}`;
  const nodeClass = `chart-pod-${id}`;
  const system = await testNamespace(t, 'chart-pod-system');
  const runs = await testNamespace(t, 'chart-pod-runs');
  await createKwokNode(t, `chart-pod-${id}`, { labels: { 'furrow.dev/class': nodeClass } });
  t.after(async () => {
    kubectl(['delete', 'nodepool', pool, '--ignore-not-found', '--timeout=15s']);
    kubectl(['patch', 'nodepool', pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    helmOnCluster(['uninstall', release, '-n', system, '--ignore-not-found', '--wait']);
    await etcdDeletePrefix(customResourceKey(group, 'pipelineruns', runs, ''));
  });

  // 1. The CRDs come from the chart: the suite's cluster has crds/ applied, so they go first.
  // Nothing else runs meanwhile (one test file at a time); no run is left that needs them.
  ok(kubectl(['delete', 'crd', ...crds, '--ignore-not-found', '--timeout=60s']), 'deleting the CRDs');
  const installStarted = Date.now();
  ok(
    helmOnCluster([
      'install',
      release,
      chartDir,
      '-n',
      system,
      '--set',
      `image.repository=${image.slice(0, image.lastIndexOf(':'))}`,
      '--set',
      `image.tag=${image.slice(image.lastIndexOf(':') + 1)}`,
      '--set',
      'image.pullPolicy=Never',
      '--set-json',
      `nodeSelector=${JSON.stringify(realNodeSelector)}`,
      '--set-json',
      `tolerations=${JSON.stringify([realNodeToleration])}`,
      '--set',
      `namespaces={${runs}}`,
      // A short Lease, so that the hand-over below takes seconds, not the default 15.
      '--set',
      'leaderElection.enabled=true',
      '--set',
      'leaderElection.leaseDuration=6s',
      '--set',
      'leaderElection.renewDeadline=4s',
      '--set',
      'leaderElection.retryPeriod=1s',
      // furrow-api is make up's (and test/e2e/furrow-api.test.ts's); its APIService without
      // an endpoint would break discovery for the other tests.
      '--set',
      'api.enabled=false',
    ]),
    'helm install',
  );
  const deployment = release; // the chart's full name: the release name contains "furrow"
  await waitFor('the operator Deployment Available', () => deploymentAvailable(system, deployment, 1), {
    timeoutMs: 120_000,
  });
  report(t, `helm install → operator Ready: ${seconds(Date.now() - installStarted)}`);
  for (const crd of crds) await apiextensions().readCustomResourceDefinition({ name: crd });

  // The pod is the chart's: its ServiceAccount's token, probes, securityContext and limits.
  const [pod] = await operatorPods(system, release);
  assert.ok(pod && ready(pod), 'a Ready operator pod');
  const spec = pod.spec as k8s.V1PodSpec;
  const container = spec.containers[0] as k8s.V1Container;
  assert.equal(spec.nodeName, 'real-0', 'on the real node');
  assert.equal(spec.serviceAccountName, release);
  assert.equal(container.image, image);
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(spec.securityContext?.runAsUser, 65532);
  assert.equal(container.resources?.limits?.memory, '512Mi');
  assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
  assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');

  // 2. A pool of a simulated node and a run on it.
  const runManifest = (name: string) => ({
    apiVersion: `${group}/${version}`,
    kind: 'PipelineRun',
    metadata: { name, namespace: runs, annotations: { 'sim.furrow.dev/duration': '300ms' } },
    spec: { pool, image: 'busybox:1.37', steps: [{ name: 'build', script: 'echo built' }] },
  });
  const apply = (manifest: object) =>
    ok(kubectl(['apply', '-f', '-'], JSON.stringify(manifest)), 'kubectl apply');
  apply({
    apiVersion: `${group}/${version}`,
    kind: 'NodePool',
    metadata: { name: pool },
    spec: { nodeSelector: { matchLabels: { 'furrow.dev/class': nodeClass } } },
  });
  const succeeded = (name: string) =>
    waitFor(`PipelineRun ${name} Succeeded`, async () => (await runPhase(runs, name)) === 'Succeeded', {
      timeoutMs: 60_000,
    });
  apply(runManifest('first'));
  await succeeded('first');

  // 3. Two replicas: the standby waits on the Lease.
  ok(
    helmOnCluster(['upgrade', release, chartDir, '-n', system, '--reuse-values', '--set', 'replicas=2']),
    'helm upgrade',
  );
  await waitFor('two operator pods Available', () => deploymentAvailable(system, deployment, 2), {
    timeoutMs: 120_000,
  });
  const lease = async () =>
    (await coordinationApi().readNamespacedLease({ name: release, namespace: system })).spec?.holderIdentity;
  // The rollout replaces the first pod (two replicas add anti-affinity): two pods, both Ready.
  const pods = await waitFor('exactly two Ready operator pods', async () => {
    const all = await operatorPods(system, release);
    return all.length === 2 && all.every(ready) && all;
  });
  const leader = await waitFor('a leader among the two pods', async () => {
    const holder = await lease();
    return pods.find((p) => p.metadata?.name === holder);
  });
  const standby = pods.find((p) => p !== leader) as k8s.V1Pod;
  const leaderName = leader.metadata?.name as string;

  // 4. Kill the leader as a user does (kubectl delete --force: the pod object goes at once, the
  // kubelet stops the container; on SIGTERM the operator releases its Lease) with a run in flight.
  apply(runManifest('during'));
  const killed = Date.now();
  ok(
    kubectl(['delete', 'pod', leaderName, '-n', system, '--grace-period=0', '--force', '--wait=false']),
    'killing the leader',
  );
  await waitFor('the standby holding the Lease', async () => (await lease()) === standby.metadata?.name, {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const handOver = Date.now() - killed;
  report(
    t,
    `leader hand-over after the kill: ${seconds(handOver)} (Lease 6 s, retry 1 s; the killed pod released it on SIGTERM)`,
  );
  apply(runManifest('after'));
  await succeeded('during');
  await succeeded('after');
  await waitFor('two operator pods again', () => deploymentAvailable(system, deployment, 2), {
    timeoutMs: 120_000,
  });

  // 5. The leader's memory with 10,000 finished runs cached: written straight to etcd (the API
  // server's watch cache and the operator's informer see them as created), measured from the
  // pod's own process_resident_memory_bytes, under the 512 MiB limit, never OOM-killed.
  const now = new Date().toISOString();
  const seedStarted = Date.now();
  for (let i = 0; i < cachedRuns; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, cachedRuns - i) }, (_, j) => {
        const name = `cached-${i + j}`;
        return etcdPut(customResourceKey(group, 'pipelineruns', runs, name), {
          ...runManifest(name),
          metadata: { name, namespace: runs, uid: randomUUID(), generation: 1, creationTimestamp: now },
          status: {
            phase: 'Succeeded',
            startTime: now,
            completionTime: now,
            attempts: 1,
            observedGeneration: 1,
          },
        });
      }),
    );
  }
  const holder = await lease();
  const current = (await operatorPods(system, release)).find((p) => p.metadata?.name === holder);
  assert.ok(current, 'the leader pod');
  await waitFor(
    `${cachedRuns} runs in the leader's cache`,
    async () => ((await metric(current, 'furrow_pipelineruns', '{phase="Succeeded"}')) ?? 0) >= cachedRuns,
    { timeoutMs: 180_000, intervalMs: 2_000 },
  );
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const rss = (await metric(current, 'process_resident_memory_bytes')) ?? 0;
  const heap = (await metric(current, 'nodejs_heap_size_used_bytes')) ?? 0;
  report(
    t,
    `leader with ${cachedRuns} runs cached (seeded in ${seconds(Date.now() - seedStarted)}): RSS ${(rss / 2 ** 20).toFixed(0)} MiB, heap used ${(heap / 2 ** 20).toFixed(0)} MiB, limit 512 MiB`,
  );
  assert.ok(rss > 0 && rss < 512 * 2 ** 20, `RSS ${rss} under the limit`);
  for (const p of await operatorPods(system, release)) {
    const status = p.status?.containerStatuses?.[0];
    assert.equal(
      status?.restartCount,
      0,
      `${p.metadata?.name} restarted (${JSON.stringify(status?.lastState)})`,
    );
  }

  // 6. helm uninstall: no operator object is left; the CRDs and the runs stay.
  kubectl(['delete', 'nodepool', pool, '--timeout=30s']);
  ok(helmOnCluster(['uninstall', release, '-n', system, '--wait']), 'helm uninstall');
  const selector = `app.kubernetes.io/instance=${release}`;
  // Their pods stop within the grace period (the operator releases its Lease on SIGTERM).
  await waitFor(
    'the release’s pods gone',
    async () =>
      (await core().listNamespacedPod({ namespace: system, labelSelector: selector })).items.length === 0,
    { timeoutMs: 60_000 },
  );
  const kinds =
    'deployments,replicasets,pods,serviceaccounts,services,secrets,configmaps,roles,rolebindings,' +
    'clusterroles,clusterrolebindings,poddisruptionbudgets,validatingadmissionpolicies,' +
    'validatingadmissionpolicybindings';
  const left = kubectl(['get', kinds, '-A', '-l', selector, '-o', 'name']);
  assert.equal(left.code, 0, left.stderr);
  assert.equal(left.stdout.trim(), '', 'objects of the release after helm uninstall');
  for (const crd of crds) await apiextensions().readCustomResourceDefinition({ name: crd });
  for (const name of ['first', 'during', 'after']) assert.equal(await runPhase(runs, name), 'Succeeded');
});
