// The chart's ValidatingAdmissionPolicy on the real API server: a pod tolerating a pool taint
// is refused unless Furrow's operator (its ServiceAccount's token) creates it as a runner pod in
// an allowed namespace. The policy is rendered from the chart with a binding that selects only
// this test's namespaces, so tests running beside it are not affected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { furrowEnv, sim } from '../support/env.ts';
import { chartDir, helm } from '../support/helm.ts';
import { testImage } from '../support/images.ts';
import { core, kubeConfig, kubectl, statusCode, testNamespace, waitFor } from '../support/kube.ts';
import { unhandledErrors } from '../support/operator.ts';
import { serviceAccountKubeconfig } from '../support/release.ts';

const rbac = () => kubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);

function clientFor(kubeconfigFile: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  return kc.makeApiClient(k8s.CoreV1Api);
}

/** The API server's answer to creating `pod`: 201, or the refusal's code and message. */
async function tryCreate(
  api: k8s.CoreV1Api,
  namespace: string,
  pod: k8s.V1Pod,
): Promise<{ code: number; message: string }> {
  try {
    await api.createNamespacedPod({ namespace, body: pod });
    return { code: 201, message: '' };
  } catch (err) {
    const body = (err as { body?: string }).body ?? '';
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      // not JSON
    }
    return { code: statusCode(err) ?? 0, message };
  }
}

test('the chart’s admission policy refuses stray pods tolerating a pool taint and admits the operator’s runner pods', async (t) => {
  const env = await furrowEnv(t, { operator: false });
  const other = await testNamespace(t, 'vap-other');
  const system = await testNamespace(t, 'vap-system');
  const release = `furrow-vap-${env.id}`;
  const scope = { 'e2e.furrow.dev/vap': env.id };
  for (const name of [env.namespace, other])
    await core().patchNamespace(
      { name, body: { metadata: { labels: scope } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

  // The chart's ServiceAccount, RBAC and policy, as a release in `system` would install them.
  const rendered = helm([
    'template',
    release,
    chartDir,
    '--namespace',
    system,
    '--show-only',
    'templates/serviceaccount.yaml',
    '--show-only',
    'templates/rbac.yaml',
    '--show-only',
    'templates/admission-policy.yaml',
    '--set',
    `admissionPolicy.allowedNamespaces={${env.namespace}}`,
    '--set-json',
    `admissionPolicy.namespaceSelector=${JSON.stringify({ matchLabels: scope })}`,
  ]);
  assert.equal(rendered.status, 0, rendered.stderr);
  t.after(() => kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], rendered.stdout));
  const applied = kubectl(['apply', '-f', '-'], rendered.stdout);
  assert.equal(applied.code, 0, applied.stderr);
  // (Its status.typeChecking is written by kube-controller-manager's policy status controller,
  // which the local cluster doesn't run: the refusals below show that the CEL compiles.)

  // A tenant who may create pods in the namespace, and nothing more.
  await core().createNamespacedServiceAccount({
    namespace: env.namespace,
    body: { metadata: { name: 'tenant' } },
  });
  await rbac().createNamespacedRole({
    namespace: env.namespace,
    body: {
      metadata: { name: 'tenant' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'delete'] }],
    },
  });
  await rbac().createNamespacedRoleBinding({
    namespace: env.namespace,
    body: {
      metadata: { name: 'tenant' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant' },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: env.namespace }],
    },
  });
  const tenant = clientFor(serviceAccountKubeconfig(t, 'tenant', env.namespace));
  const pod = (
    name: string,
    spec: Partial<k8s.V1PodSpec>,
    metadata: Partial<k8s.V1ObjectMeta> = {},
  ): k8s.V1Pod => ({
    metadata: { name, ...metadata },
    spec: { containers: [{ name: 'main', image: testImage }], ...spec },
  });
  const onThePool = { nodeSelector: { 'furrow.dev/pool': env.poolName } };

  // The policy binds only once the API server has loaded it: wait for the first refusal.
  const stray = pod('stray', {
    ...onThePool,
    tolerations: [{ key: 'furrow.dev/pool', operator: 'Equal', value: env.poolName, effect: 'NoSchedule' }],
  });
  const refused = await waitFor('the policy to refuse a stray pod', async () => {
    const r = await tryCreate(tenant, env.namespace, stray);
    if (r.code === 201)
      await tenant.deleteNamespacedPod({ name: 'stray', namespace: env.namespace, gracePeriodSeconds: 0 });
    return r.code === 201 ? undefined : r;
  });
  t.diagnostic(`refused: ${refused.message}`);
  assert.equal(refused.code, 403);
  assert.match(refused.message, /ValidatingAdmissionPolicy '[^']+-pool-tolerations'/);
  assert.match(
    refused.message,
    /only the Furrow operator \(system:serviceaccount:[^)]+\) may create them, not system:serviceaccount:[^:]+:tenant/,
  );

  // Every way of tolerating the taint is refused, pretending to be a runner pod too.
  const cases: [string, k8s.V1Pod][] = [
    ['wildcard', pod('wildcard', { ...onThePool, tolerations: [{ operator: 'Exists' }] })],
    [
      'key only',
      pod('key-only', { ...onThePool, tolerations: [{ key: 'furrow.dev/pool', operator: 'Exists' }] }),
    ],
    [
      'disguised',
      pod(
        'disguised-1',
        { ...onThePool, tolerations: [{ key: 'furrow.dev/pool', operator: 'Exists' }] },
        {
          labels: { 'app.kubernetes.io/managed-by': 'furrow', 'furrow.dev/pool': env.poolName },
          ownerReferences: [
            {
              apiVersion: 'furrow.dev/v1alpha1',
              kind: 'PipelineRun',
              name: 'disguised',
              uid: '0d6f4a52-9d0b-4a1e-8d1c-0c2a1a9b7e10',
              controller: true,
            },
          ],
        },
      ),
    ],
  ];
  for (const [what, body] of cases) {
    const r = await tryCreate(tenant, env.namespace, body);
    assert.equal(r.code, 403, `${what}: ${r.message}`);
    assert.match(r.message, /tolerate a NodePool taint/, what);
  }
  // Pods that don't tolerate a pool taint are none of the policy's business.
  const plain = await tryCreate(tenant, env.namespace, pod('plain', {}));
  assert.equal(plain.code, 201, plain.message);

  // The operator, with its ServiceAccount's token: its runner pods are admitted where allowed,
  // and a run in a namespace the policy doesn't allow fails with the API server's reason.
  const operator = await env.startOperator({
    kubeconfig: serviceAccountKubeconfig(t, release, system),
    namespaces: [env.namespace, other],
  });
  const quick = { image: testImage, steps: [{ name: 'build', script: 'true' }] };
  await env.createRun('admitted', quick, { annotations: sim('300ms') });
  await env.createRun('elsewhere', quick, { annotations: sim('300ms'), namespace: other });
  const run = await env.waitForPhase('admitted', 'Succeeded');
  assert.ok(env.nodeNames.includes(run.status?.nodeName ?? ''));
  const rejected = await env.waitForPhase('elsewhere', 'Failed', { namespace: other });
  assert.equal(rejected.status?.reason, 'PodRejected');
  assert.match(
    rejected.status?.message ?? '',
    new RegExp(`namespace ${other} may not run pods on NodePool nodes`),
  );
  assert.deepEqual(
    (await core().listNamespacedPod({ namespace: other })).items.map((p) => p.metadata?.name),
    [],
    'no pod in the namespace that is not allowed',
  );
  assert.deepEqual(unhandledErrors(operator.logs), []);

  // Cluster admins (system:masters) are exempt by default: they could delete the policy anyway.
  const admin = await tryCreate(core(), env.namespace, stray);
  assert.equal(admin.code, 201, admin.message);
});
