// The benchmark's stage on the cluster: kwok nodes in a pool without a concurrency limit, the
// namespaces runs and Jobs go to, and the operator's identity (a ServiceAccount whose requests
// the API server's audit log records: test/cluster/audit-policy.yaml).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { group, nodePoolNames, version } from '../src/resources/names.ts';

export const benchNamespace = 'furrow-bench';
export const operatorServiceAccount = 'furrow-operator';
export const operatorUser = `system:serviceaccount:${benchNamespace}:${operatorServiceAccount}`;
export const jobControllerUser = 'system:serviceaccount:kube-system:job-controller';
export const poolName = 'bench';
export const nodeLabel = 'furrow.dev/bench-node';
export const workNamespaces = ['bench-a', 'bench-b', 'bench-c', 'bench-d'];

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
  rbac: k8s.RbacAuthorizationV1Api;
}

export function clients(kubeconfig: string): Clients {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
  };
}

async function ignoreExists(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof k8s.ApiException && err.code === 409)) throw err;
  }
}

export async function ensureNamespaces(c: Clients): Promise<void> {
  for (const name of [benchNamespace, ...workNamespaces]) {
    // A namespace left terminating by an earlier teardown must be gone before it is made again.
    for (let i = 0; i < 600; i++) {
      const ns = await c.core.readNamespace({ name }).catch(() => undefined);
      if (!ns?.metadata?.deletionTimestamp) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await ignoreExists(
      c.core.createNamespace({ body: { metadata: { name, labels: { 'furrow.dev/bench': 'true' } } } }),
    );
  }
  for (const name of [benchNamespace, ...workNamespaces]) {
    for (let i = 0; i < 100; i++) {
      const ok = await c.core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * The operator runs as a ServiceAccount so that the audit log can attribute its requests.
 * It gets cluster-admin here: the benchmark measures speed, not RBAC (the workflow test does).
 */
export async function operatorKubeconfig(c: Clients, dir: string): Promise<string> {
  await ignoreExists(
    c.core.createNamespacedServiceAccount({
      namespace: benchNamespace,
      body: { metadata: { name: operatorServiceAccount } },
    }),
  );
  await ignoreExists(
    c.rbac.createClusterRoleBinding({
      body: {
        metadata: { name: 'furrow-bench-operator' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: operatorServiceAccount, namespace: benchNamespace }],
      },
    }),
  );
  const token = await c.core.createNamespacedServiceAccountToken({
    name: operatorServiceAccount,
    namespace: benchNamespace,
    body: { spec: { expirationSeconds: 6 * 3600, audiences: [] } },
  });
  const cluster = c.kc.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in kubeconfig');
  const file = path.join(dir, 'operator.kubeconfig');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${cluster.server}", certificate-authority: "${cluster.caFile ?? ''}"}}]`,
      `users: [{name: u, user: {token: "${token.status?.token ?? ''}"}}]`,
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return file;
}

/** Creates `count` kwok nodes with `pods` pods each (existing ones are kept). */
export async function ensureNodes(c: Clients, count: number, pods: number): Promise<string[]> {
  const names: string[] = [];
  const capacity = { cpu: '64', memory: '256Gi', pods: String(pods) };
  for (let i = 0; i < count; i++) {
    const name = `bench-${String(i).padStart(3, '0')}`;
    names.push(name);
    await ignoreExists(
      c.core.createNode({
        body: {
          metadata: {
            name,
            annotations: { 'kwok.x-k8s.io/node': 'fake' },
            labels: { [nodeLabel]: 'true', type: 'kwok', 'kubernetes.io/hostname': name },
          },
          status: { capacity, allocatable: capacity },
        },
      }),
    );
  }
  return names;
}

export async function ensurePool(c: Clients): Promise<void> {
  await ignoreExists(
    c.custom.createClusterCustomObject({
      group,
      version,
      plural: nodePoolNames.plural,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'NodePool',
        metadata: { name: poolName },
        spec: { nodeSelector: { matchLabels: { [nodeLabel]: 'true' } } },
      },
    }),
  );
}

export async function poolStatus(c: Clients): Promise<{ nodes?: number; readyNodes?: number } | undefined> {
  const pool = (await c.custom.getClusterCustomObject({
    group,
    version,
    plural: nodePoolNames.plural,
    name: poolName,
  })) as {
    status?: { nodes?: number; readyNodes?: number };
  };
  return pool.status;
}

/** Removes the bench's nodes, pool and namespaces (the pool first, while the operator runs). */
export async function teardown(c: Clients, nodes: string[]): Promise<void> {
  await c.custom
    .deleteClusterCustomObject({ group, version, plural: nodePoolNames.plural, name: poolName })
    .catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    const gone = await c.custom
      .getClusterCustomObject({ group, version, plural: nodePoolNames.plural, name: poolName })
      .then(
        () => false,
        () => true,
      );
    if (gone) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await c.custom
    .patchClusterCustomObject(
      {
        group,
        version,
        plural: nodePoolNames.plural,
        name: poolName,
        body: { metadata: { finalizers: null } },
      },
      mergePatch,
    )
    .catch(() => undefined);
  for (const name of nodes) await c.core.deleteNode({ name }).catch(() => undefined);
  for (const name of [...workNamespaces, benchNamespace])
    await c.core.deleteNamespace({ name }).catch(() => undefined);
  await c.rbac.deleteClusterRoleBinding({ name: 'furrow-bench-operator' }).catch(() => undefined);
}
