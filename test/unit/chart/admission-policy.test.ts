// The chart's ValidatingAdmissionPolicy as rendered: on by default, bound to the policy it names,
// naming exactly the ServiceAccount the operator runs as, every pool taint key, and the allowed
// namespaces. Its behaviour on a real API server is in test/e2e/admission-policy.test.ts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  helm,
  helmTemplate,
  only,
  parseManifest,
  releaseNamespace,
  type KubeObject,
} from '../../support/helm.ts';
import { chartDir, releaseName } from '../../support/helm.ts';
import { repoRoot } from '../../support/paths.ts';

interface Expression {
  name?: string;
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}
type Policy = KubeObject & {
  spec: {
    failurePolicy: string;
    matchConstraints: { resourceRules: { apiGroups: string[]; resources: string[]; operations: string[] }[] };
    matchConditions: Expression[];
    variables: Expression[];
    validations: Expression[];
  };
};
type Binding = KubeObject & {
  spec: {
    policyName: string;
    validationActions: string[];
    matchResources?: { namespaceSelector?: unknown };
  };
};

const fixture = (variant: string) => [
  '--values',
  path.join(repoRoot, 'test', 'fixtures', 'chart', `${variant}.yaml`),
];

function render(args: string[] = []) {
  const objects = parseManifest(helmTemplate(args));
  const policies = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy') as Policy[];
  const bindings = objects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding') as Binding[];
  return { objects, policy: policies[0], binding: bindings[0], count: policies.length + bindings.length };
}

const serviceAccountOf = (objects: KubeObject[]) =>
  (
    only(objects, 'Deployment', 'furrow') as KubeObject & {
      spec: { template: { spec: { serviceAccountName: string } } };
    }
  ).spec.template.spec.serviceAccountName;

const keysOf = (policy: Policy | undefined) =>
  JSON.parse(policy?.spec.variables.find((v) => v.name === 'keys')?.expression ?? '[]') as string[];

test('default: one policy and its binding, denying, applied everywhere but kube-system', () => {
  const { policy, binding, count } = render();
  assert.equal(count, 2);
  assert.ok(policy && binding);
  assert.equal(binding.spec.policyName, policy.metadata.name);
  assert.equal(policy.metadata.name, 'furrow-pool-tolerations');
  assert.deepEqual(binding.spec.validationActions, ['Deny']);
  assert.deepEqual(binding.spec.matchResources?.namespaceSelector, {
    matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
  });
  assert.equal(policy.spec.failurePolicy, 'Fail', 'a policy that cannot be evaluated refuses');
  assert.deepEqual(policy.spec.matchConstraints.resourceRules, [
    { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
  ]);
});

test('the operator named in the policy is the ServiceAccount the Deployment runs as and RBAC binds', () => {
  for (const args of [[], fixture('configured'), ['--set', 'serviceAccount.name=ci-operator']]) {
    const { objects, policy } = render(args);
    const sa = serviceAccountOf(objects);
    const user = `system:serviceaccount:${releaseNamespace}:${sa}`;
    const byUser = policy?.spec.validations.find((v) => v.expression.includes('request.userInfo.username'));
    assert.ok(byUser, 'a rule on the requester');
    assert.ok(byUser.expression.includes(`request.userInfo.username == '${user}'`), byUser.expression);
    assert.equal(byUser.reason, 'Forbidden');
    assert.match(byUser.messageExpression ?? '', new RegExp(`only the Furrow operator \\(${user}\\)`));
    const binding = only(objects, 'ClusterRoleBinding', 'furrow') as KubeObject & {
      subjects: { name: string; namespace: string }[];
    };
    assert.deepEqual(
      binding.subjects.map((s) => `system:serviceaccount:${s.namespace}:${s.name}`),
      [user],
    );
  }
});

test('a toleration of any pool taint key is caught, and a wildcard toleration too', () => {
  assert.deepEqual(keysOf(render().policy), ['furrow.dev/pool']);
  // Pools from values bring their taint keys; extraTaintKeys adds others.
  assert.deepEqual(keysOf(render(fixture('node-pools')).policy), ['furrow.dev/pool', 'furrow.dev/untrusted']);
  assert.deepEqual(
    keysOf(render(['--set', 'admissionPolicy.extraTaintKeys={dedicated,furrow.dev/pool}']).policy),
    ['furrow.dev/pool', 'dedicated'],
  );
  const filter = render().policy?.spec.matchConditions.find((c) => c.name === 'tolerates-a-pool-taint');
  assert.match(filter?.expression ?? '', /t\.key in \["furrow\.dev\/pool"\]/);
  assert.match(filter?.expression ?? '', /t\.operator == 'Exists'/, 'no key + Exists tolerates every taint');
});

test('runner pods must be controlled by a PipelineRun', () => {
  const owned = render().policy?.spec.validations.find((v) => v.expression.includes('ownerReferences'));
  assert.match(owned?.expression ?? '', /o\.kind == 'PipelineRun' && has\(o\.controller\) && o\.controller/);
  assert.match(owned?.expression ?? '', /o\.apiVersion\.startsWith\('furrow\.dev\/'\)/);
});

test('allowed namespaces: allowedNamespaces, else the operator’s namespaces, else every namespace', () => {
  const nsRule = (args: string[]) =>
    render(args).policy?.spec.validations.find((v) => v.expression.includes('request.namespace'))?.expression;
  assert.equal(nsRule([]), undefined, 'no namespace rule: every namespace');
  assert.match(nsRule(fixture('configured')) ?? '', /request\.namespace in \["team-a","team-b"\]/);
  assert.match(
    nsRule([...fixture('configured'), '--set', 'admissionPolicy.allowedNamespaces={ci-runs}']) ?? '',
    /request\.namespace in \["ci-runs"\]$/,
  );
});

test('system:masters is exempt by default, and can be held to the policy too', () => {
  const exempt = (args: string[]) =>
    render(args).policy?.spec.matchConditions.find((c) => c.name === 'not-an-exempt-group')?.expression;
  assert.match(exempt([]) ?? '', /g in \["system:masters"\]/);
  assert.equal(exempt(['--set-json', 'admissionPolicy.exemptGroups=[]']), undefined);
});

test('it can warn and audit instead of denying, or be turned off', () => {
  assert.deepEqual(
    render(['--set-json', 'admissionPolicy.validationActions=["Warn","Audit"]']).binding?.spec
      .validationActions,
    ['Warn', 'Audit'],
  );
  assert.equal(render(['--set', 'admissionPolicy.enabled=false']).count, 0);
  assert.equal(
    render(['--set-json', 'admissionPolicy.namespaceSelector=null']).binding?.spec.matchResources,
    undefined,
  );
});

test('wrong values are refused by the schema, naming the value', () => {
  for (const [set, names] of [
    ['admissionPolicy.validationActions={Block}', /admissionPolicy\/validationActions\/0/],
    ['admissionPolicy.extraTaintKeys={not a key}', /admissionPolicy\/extraTaintKeys\/0/],
    ['admissionPolicy.allowedNamespaces={Team_A}', /admissionPolicy\/allowedNamespaces\/0/],
    ['admissionPolicy.enabled=sometimes', /admissionPolicy\/enabled/],
  ] as const) {
    const result = helm(['template', releaseName, chartDir, '--set', set]);
    assert.notEqual(result.status, 0, `helm accepted ${set}`);
    assert.match(result.stderr, names, set);
  }
});
