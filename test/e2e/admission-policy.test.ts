// The chart's ValidatingAdmissionPolicy on the real API server: a pod tolerating a pool taint
// is refused unless Furrow's operator (its ServiceAccount's token) creates it as a runner pod in
// an allowed namespace. The policy is rendered from the chart with a binding that selects only
// this test's namespaces, so tests running beside it are not affected.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
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

/** The API server's answer to `request`: 201, or the refusal's code and message. */
async function attempt(request: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request();
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

/** The API server's answer to creating `pod`: 201, or the refusal's code and message. */
const tryCreate = (api: k8s.CoreV1Api, namespace: string, pod: k8s.V1Pod) =>
  attempt(() => api.createNamespacedPod({ namespace, body: pod }));

/**
 * A policy is in effect only once the API server has loaded it, and its binding, and seen the
 * namespace's labels its binding selects on: creates `pod` until `policy` itself refuses it
 * (deleting it whenever it was admitted) and returns that refusal.
 *
 * Any other refusal is waited out too, not taken for the policy's: a tenant made a moment ago
 * can be refused by RBAC ("cannot create resource pods") or by authentication (401) until the
 * API server's authorizer and token caches have caught up, which on a freshly started cluster
 * (the first file of the suite) is slow. Every answer before the policy's is printed with its
 * time, so a failure shows what the API server said instead and for how long.
 */
async function firstRefusal(
  t: TestContext,
  policy: string,
  api: k8s.CoreV1Api,
  namespace: string,
  pod: k8s.V1Pod,
): Promise<{ code: number; message: string }> {
  const byPolicy = new RegExp(`ValidatingAdmissionPolicy '[^']+-${policy}'`);
  const started = Date.now();
  const answers: string[] = [];
  const note = (r: { code: number; message: string }) => {
    const text = `${r.code} ${r.message}`;
    if (!answers.at(-1)?.endsWith(text)) answers.push(`+${Date.now() - started} ms: ${text}`);
  };
  try {
    const refused = await waitFor(`${policy} to refuse pod ${pod.metadata?.name}`, async () => {
      const r = await tryCreate(api, namespace, pod);
      if (r.code === 201)
        await api.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace, gracePeriodSeconds: 0 });
      if (byPolicy.test(r.message)) return r;
      note(r);
      return undefined;
    });
    t.diagnostic(
      `${policy} refused ${pod.metadata?.name} after ${Date.now() - started} ms; before: ${JSON.stringify(answers)}`,
    );
    return refused;
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; answers: ${JSON.stringify(answers)}\n${policyState(namespace)}`,
      {
        cause: err,
      },
    );
  }
}

/** The admission policies, their bindings and `namespace`'s labels, for a failure's message. */
function policyState(namespace: string): string {
  const policies = kubectl([
    'get',
    'validatingadmissionpolicies,validatingadmissionpolicybindings',
    '-o',
    'custom-columns=KIND:.kind,NAME:.metadata.name,CREATED:.metadata.creationTimestamp,SELECTOR:.spec.matchResources.namespaceSelector,STATUS:.status',
  ]);
  const labels = kubectl(['get', 'namespace', namespace, '--show-labels']);
  return `${policies.stdout}${policies.stderr}${labels.stdout}${labels.stderr}`;
}

/**
 * Renders the chart's admission policies (and `args`' other templates) as a release in
 * `namespace` would install them, applies them, and deletes them when `t` ends.
 */
function applyChart(t: TestContext, release: string, namespace: string, args: string[]): string {
  const rendered = helm([
    'template',
    release,
    chartDir,
    '--namespace',
    namespace,
    '--show-only',
    'templates/admission-policy.yaml',
    ...args,
  ]);
  assert.equal(rendered.status, 0, rendered.stderr);
  t.after(() => kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], rendered.stdout));
  const applied = kubectl(['apply', '-f', '-'], rendered.stdout);
  assert.equal(applied.code, 0, applied.stderr);
  return rendered.stdout;
}

/** The message of a FailedCreate event on `kind` `name`, once its controller reports one. */
const failedCreate = (namespace: string, kind: string, name: string) =>
  waitFor(`a FailedCreate event on ${kind} ${name}`, async () => {
    const events = await core().listNamespacedEvent({ namespace });
    return events.items.find(
      (e) =>
        e.reason === 'FailedCreate' &&
        e.involvedObject.kind === kind &&
        (e.involvedObject.name ?? '').startsWith(name),
    )?.message;
  });

test('the chart’s admission policy refuses stray pods tolerating a pool taint and admits the operator’s runner pods', async (t) => {
  // The pool has a custom taint key besides furrow.dev/pool, which the policy is told about.
  const customKey = 'e2e.furrow.dev/dedicated';
  const startedAt = Date.now();
  const env = await furrowEnv(t, {
    operator: false,
    pool: { taints: [{ key: customKey, value: 'ci', effect: 'NoSchedule' }] },
  });
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
  applyChart(t, release, system, [
    '--show-only',
    'templates/serviceaccount.yaml',
    '--show-only',
    'templates/rbac.yaml',
    // The runner NetworkPolicy's read of the API server's EndpointSlices (ADR 15): without it
    // the operator's caches never sync and it never becomes ready.
    '--show-only',
    'templates/runner-network-policy-rbac.yaml',
    '--set',
    `admissionPolicy.allowedNamespaces={${env.namespace}}`,
    '--set',
    `admissionPolicy.extraTaintKeys={${customKey}}`,
    '--set-json',
    `admissionPolicy.namespaceSelector=${JSON.stringify({ matchLabels: scope })}`,
  ]);
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
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'delete', 'update', 'patch'] },
        { apiGroups: [''], resources: ['pods/binding', 'bindings'], verbs: ['create'] },
      ],
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

  t.diagnostic(`environment, chart and tenant ready after ${Date.now() - startedAt} ms`);
  // The policy binds only once the API server has loaded it: wait for the first refusal.
  const stray = pod('stray', {
    ...onThePool,
    tolerations: [{ key: 'furrow.dev/pool', operator: 'Equal', value: env.poolName, effect: 'NoSchedule' }],
  });
  const refused = await firstRefusal(t, 'pool-tolerations', tenant, env.namespace, stray);
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
  // The scheduler still binds them (through pods/binding, which the placement policy watches).
  const bound = await waitFor('the scheduler to bind the plain pod', async () => {
    const p = await core().readNamespacedPod({ name: 'plain', namespace: env.namespace });
    return p.spec?.nodeName;
  });
  t.diagnostic(`the scheduler bound the plain pod to ${bound}`);

  // UPDATE: a toleration added to a pod that exists is refused like one it was created with.
  // A JSON patch, not a read and replace: kwok writes the bound pod's status at any moment, and
  // a replace carrying the resourceVersion it read then fails 409 Conflict before admission
  // runs (seen on a fresh cluster: "409 !== 403" within 2 s of the test's start). A patch
  // without a resourceVersion applies to the pod as it is; its admission is an UPDATE too.
  const existing = await tenant.readNamespacedPod({ name: 'plain', namespace: env.namespace });
  const toleration = { key: 'furrow.dev/pool', operator: 'Exists', effect: 'NoSchedule' };
  const updated = await attempt(() =>
    tenant.patchNamespacedPod(
      {
        name: 'plain',
        namespace: env.namespace,
        body: existing.spec?.tolerations
          ? [{ op: 'add', path: '/spec/tolerations/-', value: toleration }]
          : [{ op: 'add', path: '/spec/tolerations', value: [toleration] }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    ),
  );
  assert.equal(updated.code, 403, `update: ${updated.message}`);
  assert.match(updated.message, /tolerate a NodePool taint/, 'update');

  // A custom taint key of a pool is a pool taint too.
  const custom = await tryCreate(
    tenant,
    env.namespace,
    pod('custom-key', { tolerations: [{ key: customKey, operator: 'Exists' }] }),
  );
  assert.equal(custom.code, 403, `custom key: ${custom.message}`);
  assert.match(
    custom.message,
    /tolerate a NodePool taint \(furrow\.dev\/pool, e2e\.furrow\.dev\/dedicated\)/,
  );

  // spec.nodeName skips the scheduler and the taints: a pod created on a pool node, with no
  // toleration at all, is refused.
  const poolNode = env.nodeNames[0] ?? assert.fail('no pool node');
  const placement = /ValidatingAdmissionPolicy '[^']+-pod-placement'/;
  // The two policies are loaded independently: the placement policy may come into effect after
  // the tolerations policy did, so it too is waited for.
  const byName = await firstRefusal(
    t,
    'pod-placement',
    tenant,
    env.namespace,
    pod('by-name', { nodeName: poolNode }),
  );
  t.diagnostic(`nodeName refused: ${byName.message}`);
  assert.equal(byName.code, 403, `nodeName: ${byName.message}`);
  assert.match(byName.message, placement);
  assert.match(
    byName.message,
    new RegExp(
      `creating a pod with spec\\.nodeName ${poolNode} skips the scheduler .* only the scheduler \\(system:kube-scheduler\\) and the Furrow operator \\(system:serviceaccount:[^)]+\\) may place pods on nodes, not system:serviceaccount:[^:]+:tenant`,
    ),
  );
  // Nor may the tenant bind a pending pod itself, through pods/binding or the bindings resource.
  const pending = await tryCreate(
    tenant,
    env.namespace,
    pod('pending', { nodeSelector: { 'e2e.furrow.dev/nowhere': 'x' } }),
  );
  assert.equal(pending.code, 201, pending.message);
  const target = { apiVersion: 'v1', kind: 'Node', name: poolNode };
  for (const [what, request] of [
    [
      'pods/binding',
      () =>
        tenant.createNamespacedPodBinding({
          name: 'pending',
          namespace: env.namespace,
          body: { metadata: { name: 'pending' }, target },
        }),
    ],
    [
      'bindings',
      () =>
        tenant.createNamespacedBinding({
          namespace: env.namespace,
          body: { metadata: { name: 'pending' }, target },
        }),
    ],
  ] as const) {
    const r = await attempt(request);
    assert.equal(r.code, 403, `${what}: ${r.message}`);
    assert.match(r.message, placement, what);
    assert.match(r.message, new RegExp(`binding a pod to node ${poolNode} skips the scheduler`), what);
  }
  // A node's own identity may create a (mirror) pod on itself, and no other node: the policy
  // holds this itself, where the NodeRestriction admission plugin is off (as on this cluster).
  const otherNode = env.nodeNames[1] ?? assert.fail('no second pool node');
  const asNode = (podName: string, nodeName: string) =>
    kubectl(
      ['create', '--as', `system:node:${poolNode}`, '--as-group', 'system:nodes', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: env.namespace,
          annotations: { 'kubernetes.io/config.mirror': 'e2e' },
        },
        spec: { nodeName, containers: [{ name: 'main', image: testImage }] },
      }),
    );
  const mirror = asNode('mirror', poolNode);
  assert.equal(mirror.code, 0, `a node's pod on itself: ${mirror.stderr}`);
  const elsewhere = asNode('mirror-elsewhere', otherNode);
  assert.notEqual(elsewhere.code, 0, 'a node placed a pod on another node');
  assert.match(elsewhere.stderr, placement);
  assert.match(elsewhere.stderr, new RegExp(`not system:node:${poolNode}`));
  const stillPending = await core().readNamespacedPod({ name: 'pending', namespace: env.namespace });
  assert.equal(stillPending.spec?.nodeName, undefined, 'the pending pod was not bound');

  // Pods made by controllers are held to the same rules, under the controllers' own identities
  // (the local cluster's kube-controller-manager uses a ServiceAccount per controller).
  const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
  const batch = kubeConfig().makeApiClient(k8s.BatchV1Api);
  const template = (name: string, spec: Partial<k8s.V1PodSpec>) => ({
    metadata: { labels: { app: 'stray', stray: name } },
    spec: { containers: [{ name: 'main', image: testImage }], ...spec },
  });
  const variants = {
    tolerating: { tolerations: [{ key: 'furrow.dev/pool', operator: 'Exists' as const }] },
    named: { nodeName: poolNode },
  };
  for (const [what, spec] of Object.entries(variants)) {
    await apps.createNamespacedDeployment({
      namespace: env.namespace,
      body: {
        metadata: { name: `stray-${what}` },
        spec: { replicas: 1, selector: { matchLabels: { stray: what } }, template: template(what, spec) },
      },
    });
    await batch.createNamespacedJob({
      namespace: env.namespace,
      body: {
        metadata: { name: `job-${what}` },
        spec: { backoffLimit: 0, template: template(`job-${what}`, { ...spec, restartPolicy: 'Never' }) },
      },
    });
  }
  const controllerCases = [
    [
      'ReplicaSet',
      'stray-tolerating',
      /tolerate a NodePool taint.*not system:serviceaccount:kube-system:replicaset-controller/,
    ],
    [
      'ReplicaSet',
      'stray-named',
      /spec\.nodeName .* not system:serviceaccount:kube-system:replicaset-controller/,
    ],
    [
      'Job',
      'job-tolerating',
      /tolerate a NodePool taint.*not system:serviceaccount:kube-system:job-controller/,
    ],
    ['Job', 'job-named', /spec\.nodeName .* not system:serviceaccount:kube-system:job-controller/],
  ] as const;
  for (const [kind, name, refusal] of controllerCases) {
    const message = await failedCreate(env.namespace, kind, name);
    t.diagnostic(`${kind} ${name}: ${message}`);
    assert.match(message, refusal, `${kind} ${name}`);
  }
  const strays = (await core().listNamespacedPod({ namespace: env.namespace, labelSelector: 'app=stray' }))
    .items;
  assert.deepEqual(
    strays.map((p) => p.metadata?.name),
    [],
    'no pod from the Deployments or Jobs',
  );

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

test('with the chart’s default namespace selector both policies cover a fresh namespace and leave kube-system out', async (t) => {
  // Bound as the chart binds them, to every namespace but kube-system: while this test runs the
  // policies apply cluster-wide (the e2e files run one at a time), and they go at its end.
  const env = await furrowEnv(t, { operator: false, nodes: 1 });
  const system = await testNamespace(t, 'vap-system');
  const release = `furrow-vapd-${env.id}`;
  const rendered = applyChart(t, release, system, []);
  assert.match(rendered, /operator: NotIn\n\s+values:\n\s+- kube-system/, 'the default selector');

  // The same tenant (pod rights, nothing more) in the test's namespace and in kube-system.
  const name = `vap-tenant-${env.id}`;
  for (const namespace of [env.namespace, 'kube-system']) {
    await core().createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    await rbac().createNamespacedRole({
      namespace,
      body: {
        metadata: { name },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] }],
      },
    });
    await rbac().createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    });
  }
  t.after(() => {
    for (const what of ['pod', 'rolebinding', 'role', 'serviceaccount'])
      kubectl([
        'delete',
        ...(what === 'pod' ? ['--grace-period=0', '--force'] : []),
        '--ignore-not-found',
        '--wait=false',
        '-n',
        'kube-system',
        what,
        '-l',
        `e2e.furrow.dev/vapd=${env.id}`,
      ]);
    kubectl([
      'delete',
      '--ignore-not-found',
      '--wait=false',
      '-n',
      'kube-system',
      'rolebinding,role,serviceaccount',
      name,
    ]);
  });
  const tenantHere = clientFor(serviceAccountKubeconfig(t, name, env.namespace));
  const tenantSystem = clientFor(serviceAccountKubeconfig(t, name, 'kube-system'));
  const node = env.nodeNames[0] ?? assert.fail('no node');
  const pod = (podName: string, spec: Partial<k8s.V1PodSpec>): k8s.V1Pod => ({
    metadata: { name: podName, labels: { 'e2e.furrow.dev/vapd': env.id } },
    spec: { containers: [{ name: 'main', image: testImage }], ...spec },
  });
  const named = (podName: string) => pod(podName, { nodeName: node });
  const tolerating = (podName: string) =>
    pod(podName, { tolerations: [{ key: 'furrow.dev/pool', operator: 'Exists' }] });

  // In a namespace nobody labelled: both refused, once the API server has loaded the policies.
  for (const [policy, body] of [
    ['pod-placement', named('by-name')],
    ['pool-tolerations', tolerating('tolerating')],
  ] as const) {
    const r = await firstRefusal(t, policy, tenantHere, env.namespace, body);
    assert.equal(r.code, 403, r.message);
    assert.match(r.message, new RegExp(`ValidatingAdmissionPolicy '${release}-${policy}'`));
  }

  // kube-system is left out: node daemons and static pods live there.
  for (const body of [named(`vapd-by-name-${env.id}`), tolerating(`vapd-tolerating-${env.id}`)]) {
    const r = await tryCreate(tenantSystem, 'kube-system', body);
    assert.equal(r.code, 201, `kube-system ${body.metadata?.name}: ${r.message}`);
  }
});
