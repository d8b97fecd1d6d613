// The chart rendered with each variant's values (test/fixtures/chart/<variant>.yaml): what each
// variant promises, asserted directly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptions } from '../../../src/config/options.ts';
import { validateNodePool } from '../../../src/resources/validate.ts';
import {
  helmTemplate,
  only,
  parseManifest,
  releaseName,
  releaseNamespace,
  type KubeObject,
} from '../../support/helm.ts';
import { deployment, env, objects, operatorContainer, valuesArgs, type DeploymentSpec } from './rendered.ts';

test('default: one replica, no leader election, the old pod stops before the new one starts', () => {
  const d = deployment('default');
  assert.equal(d.spec.replicas, 1);
  assert.equal(d.spec.strategy.type, 'Recreate');
  assert.equal(env('default').FURROW_LEADER_ELECT, 'false');
  assert.equal(env('default').FURROW_LOG_FORMAT, 'json');
  assert.equal(operatorContainer('default').image, 'furrow-operator:0.1.0');
  const kinds = objects('default')
    .map((o) => o.kind)
    .sort();
  assert.deepEqual(kinds, [
    'APIService',
    'ClusterRole', // the operator's
    'ClusterRole', // furrow-api's
    'ClusterRole', // aggregated to view
    'ClusterRole', // aggregated to edit
    'ClusterRoleBinding',
    'ClusterRoleBinding',
    'Deployment',
    'Deployment',
    'Role', // the operator reads the API server's EndpointSlices in default
    'RoleBinding', // furrow-api reads the front proxy's settings in kube-system
    'RoleBinding',
    'Secret',
    'Service',
    'Service',
    'ServiceAccount',
    'ServiceAccount',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'ValidatingAdmissionPolicyBinding',
  ]);
  const service = only(objects('default'), 'Service', 'furrow-metrics') as KubeObject & {
    spec: { ports: { name: string; targetPort: string }[] };
  };
  assert.deepEqual(
    service.spec.ports.map((p) => [p.name, p.targetPort]),
    [['metrics', 'metrics']],
    'the Service exposes /metrics only: the health port (with PUT /loglevel) stays private',
  );
});

test('ha: three replicas elect a leader on a Lease in the release namespace, and a PDB keeps one', () => {
  const d = deployment('ha');
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.spec.strategy.type, 'RollingUpdate');
  const e = env('ha');
  assert.equal(e.FURROW_LEADER_ELECT, 'true');
  assert.equal(e.FURROW_LEASE_NAME, 'furrow');
  assert.equal(e.FURROW_LEASE_NAMESPACE, releaseNamespace);
  const pdb = only(objects('ha'), 'PodDisruptionBudget') as KubeObject & {
    spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
  };
  assert.equal(pdb.spec.minAvailable, 1);
  assert.deepEqual(pdb.spec.selector.matchLabels, {
    'app.kubernetes.io/name': 'furrow',
    'app.kubernetes.io/instance': releaseName,
  });
  const role = only(objects('ha'), 'Role', 'furrow-leader-election');
  assert.deepEqual(role.rules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: ['furrow'],
      verbs: ['get', 'update'],
    },
  ]);
  const binding = only(objects('ha'), 'RoleBinding', 'furrow-leader-election');
  assert.equal(binding.metadata.namespace, releaseNamespace);
  assert.deepEqual(binding.roleRef, {
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: role.metadata.name,
  });
});

test('out-of-cluster: no operator pod, but the ServiceAccount and its roles are there to borrow', () => {
  assert.equal(deployment('out-of-cluster').spec.replicas, 0);
  assert.equal(objects('out-of-cluster').filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
  only(objects('out-of-cluster'), 'ServiceAccount', 'furrow');
  only(objects('out-of-cluster'), 'ClusterRoleBinding', 'furrow');
});

test('node-pools: NodePools from values are valid, labelled, and kept on uninstall', () => {
  const pools = objects('node-pools').filter((o) => o.kind === 'NodePool');
  assert.deepEqual(
    pools.map((p) => p.metadata.name),
    ['peasant', 'untrusted'],
  );
  for (const pool of pools) {
    const result = validateNodePool(pool);
    assert.ok(result.ok, `${pool.metadata.name}: ${JSON.stringify(result)}`);
    assert.equal(pool.apiVersion, 'furrow.dev/v1alpha1');
    assert.equal(pool.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  }
  const untrusted = only(pools, 'NodePool', 'untrusted');
  assert.equal(untrusted.metadata.labels?.team, 'platform');
  assert.equal(untrusted.metadata.annotations?.['furrow.dev/owner'], 'platform@example.com');
  const withoutKeep = parseManifest(
    helmTemplate([...valuesArgs('node-pools'), '--set', 'keepNodePools=false']),
  ).filter((o) => o.kind === 'NodePool');
  assert.ok(withoutKeep.every((p) => !p.metadata.annotations?.['helm.sh/resource-policy']));
});

describe('runner-namespace', () => {
  const ns = () => only(objects('runner-namespace'), 'Namespace', 'ci-runs');
  test('the namespace enforces Pod Security baseline and warns and audits restricted', () => {
    const labels = ns().metadata.labels ?? {};
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'baseline');
    assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
    assert.equal(labels['pod-security.kubernetes.io/audit'], 'restricted');
    assert.equal(labels['furrow.dev/runs'], 'true');
  });

  test('the namespace survives helm uninstall (the runs in it must)', () => {
    assert.equal(ns().metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  });

  test('the chart renders no NetworkPolicy: the operator keeps it (runner-network.test.ts)', () => {
    assert.equal(objects('runner-namespace').filter((o) => o.kind === 'NetworkPolicy').length, 0);
  });
});

test('service-monitor: a ServiceMonitor scrapes the metrics Service', () => {
  const monitor = only(objects('service-monitor'), 'ServiceMonitor') as KubeObject & {
    spec: {
      selector: { matchLabels: Record<string, string> };
      namespaceSelector: { matchNames: string[] };
      endpoints: Record<string, string>[];
    };
  };
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(monitor.metadata.labels?.release, 'prometheus');
  const service = only(objects('service-monitor'), 'Service', 'furrow-metrics');
  for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
    assert.equal(service.metadata.labels?.[k], v, `the Service has ${k}=${v}`);
  assert.deepEqual(monitor.spec.namespaceSelector.matchNames, [releaseNamespace]);
  assert.deepEqual(monitor.spec.endpoints, [
    { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
  ]);
  assert.equal(objects('default').filter((o) => o.kind === 'ServiceMonitor').length, 0, 'off by default');
});

test('configured: every setting reaches the operator', () => {
  const container = operatorContainer('configured');
  const { options } = parseOptions(container.args ?? [], env('configured'), { isTTY: true, hostname: 'h' });
  assert.equal(
    container.image,
    'registry.example.com/ci/furrow-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  );
  assert.deepEqual(
    {
      namespaces: options.namespaces,
      workers: options.workers,
      logLevel: options.logLevel,
      logFormat: options.logFormat,
      leaderElect: options.leaderElect,
      leaseName: options.leaseName,
      leaseDurationMs: options.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs,
      defaultTtlSeconds: options.defaultTtlSeconds,
      defaultPendingTimeoutMs: options.defaultPendingTimeoutMs,
      gitImage: options.gitImage,
      kubeApiQps: options.kubeApiQps,
      kubeApiBurst: options.kubeApiBurst,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      resyncPeriodMs: options.resyncPeriodMs,
      metricsPort: options.metricsPort,
      healthPort: options.healthPort,
      objectStoreEndpoint: options.objectStoreEndpoint,
      objectStoreBucket: options.objectStoreBucket,
      objectStoreRegion: options.objectStoreRegion,
      objectStorePathStyle: options.objectStorePathStyle,
      logRetentionMs: options.logRetentionMs,
    },
    {
      namespaces: ['team-a', 'team-b'],
      workers: 16,
      logLevel: 'debug',
      logFormat: 'text',
      leaderElect: true,
      leaseName: 'furrow-leader',
      leaseDurationMs: 20_000,
      renewDeadlineMs: 15_000,
      retryPeriodMs: 3_000,
      defaultTtlSeconds: 168 * 3600,
      defaultPendingTimeoutMs: 15 * 60_000,
      gitImage: 'registry.example.com/mirror/git:2.49.1',
      kubeApiQps: 50,
      kubeApiBurst: 100,
      shutdownTimeoutMs: 20_000,
      resyncPeriodMs: 5 * 60_000,
      metricsPort: 9090,
      healthPort: 9091,
      objectStoreEndpoint: 'https://s3.storage.example.com:9000',
      objectStoreBucket: 'ci-logs',
      objectStoreRegion: 'eu-central-1',
      objectStorePathStyle: false,
      logRetentionMs: 90 * 86_400_000,
    },
  );
  assert.equal(deployment('configured').spec.template.spec.serviceAccountName, 'furrow-operator');
});

test('object store credentials come from the Secret by reference; without one, from the SDK chain', () => {
  const secretRefs = (variant: string) =>
    Object.fromEntries(
      (operatorContainer(variant).env ?? []).flatMap((e) =>
        e.valueFrom?.secretKeyRef ? [[e.name, e.valueFrom.secretKeyRef]] : [],
      ),
    );
  assert.deepEqual(secretRefs('configured'), {
    AWS_ACCESS_KEY_ID: { name: 'furrow-s3', key: 'access-key' },
    AWS_SECRET_ACCESS_KEY: { name: 'furrow-s3', key: 'secret-key' },
  });
  const irsa = parseManifest(
    helmTemplate([
      '--set',
      'objectStore.bucket=ci-logs',
      '--set',
      'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/furrow',
    ]),
  );
  // The operator archives, furrow-api reads the archive back: both get the same settings.
  for (const name of ['furrow', 'furrow-api']) {
    const [irsaContainer] = (only(irsa, 'Deployment', name) as KubeObject & { spec: DeploymentSpec }).spec
      .template.spec.containers;
    const irsaEnv = irsaContainer?.env ?? [];
    assert.deepEqual(
      irsaEnv
        .filter((e) => e.name.startsWith('AWS_') || e.name.startsWith('FURROW_OBJECT_STORE_'))
        .map((e) => [e.name, e.value]),
      [
        ['FURROW_OBJECT_STORE_BUCKET', 'ci-logs'],
        ['FURROW_OBJECT_STORE_REGION', 'us-east-1'],
        ['FURROW_OBJECT_STORE_PATH_STYLE', 'true'],
      ],
      `${name}: no Secret, no AWS_* variables, so the SDK finds the web identity token IRSA mounts`,
    );
  }
  assert.deepEqual(
    (operatorContainer('default').env ?? []).filter((e) => /OBJECT_STORE|^AWS_|LOG_RETENTION/.test(e.name)),
    [],
    'no bucket: no store at all',
  );
});

test('the chart’s defaults are the operator’s defaults where it passes them', () => {
  const { options: chart } = parseOptions([], env('default'), { isTTY: true, hostname: 'h' });
  const { options: operator } = parseOptions([], {}, { isTTY: false, hostname: 'h' });
  assert.deepEqual(chart, operator);
});
