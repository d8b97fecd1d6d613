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
  const named = <T extends KubeObject>(list: T[], suffix: string) =>
    list.find((o) => o.metadata.name.endsWith(suffix));
  return {
    objects,
    policy: named(policies, '-pool-tolerations'),
    binding: named(bindings, '-pool-tolerations'),
    placement: named(policies, '-pod-placement'),
    placementBinding: named(bindings, '-pod-placement'),
    count: policies.length + bindings.length,
  };
}

const serviceAccountOf = (objects: KubeObject[]) =>
  (
    only(objects, 'Deployment', 'furrow') as KubeObject & {
      spec: { template: { spec: { serviceAccountName: string } } };
    }
  ).spec.template.spec.serviceAccountName;

const keysOf = (policy: Policy | undefined) =>
  JSON.parse(policy?.spec.variables.find((v) => v.name === 'keys')?.expression ?? '[]') as string[];

test('default: two policies and their bindings, denying, applied everywhere but kube-system', () => {
  const { policy, binding, count } = render();
  assert.equal(count, 4);
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

test('only the scheduler and the operator place pods on nodes: nodeName at CREATE, pods/binding, bindings', () => {
  for (const args of [[], fixture('configured'), ['--set', 'serviceAccount.name=ci-operator']]) {
    const { objects, placement, placementBinding, binding } = render(args);
    assert.ok(placement && placementBinding);
    const operator = `system:serviceaccount:${releaseNamespace}:${serviceAccountOf(objects)}`;
    assert.equal(placementBinding.spec.policyName, placement.metadata.name);
    assert.equal(placement.spec.failurePolicy, 'Fail');
    // The same namespaces as the toleration policy, and the same actions.
    assert.deepEqual(placementBinding.spec.matchResources, binding?.spec.matchResources);
    assert.deepEqual(placementBinding.spec.validationActions, binding?.spec.validationActions);
    assert.deepEqual(placement.spec.matchConstraints.resourceRules, [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods', 'pods/binding', 'bindings'],
      },
    ]);
    const filter = placement.spec.matchConditions.find((c) => c.name === 'places-a-pod-on-a-node');
    assert.match(filter?.expression ?? '', /request\.subResource == 'binding'/);
    assert.match(filter?.expression ?? '', /request\.resource\.resource == 'bindings'/);
    assert.match(filter?.expression ?? '', /has\(object\.spec\.nodeName\) &&\s+object\.spec\.nodeName != ''/);
    assert.equal(placement.spec.validations.length, 1);
    const [rule] = placement.spec.validations;
    assert.ok(rule);
    assert.equal(rule.reason, 'Forbidden');
    assert.ok(
      rule.expression.includes(`request.userInfo.username in ['system:kube-scheduler', '${operator}']`),
      rule.expression,
    );
    // A node's kubelet may create mirror pods, bound to itself only, never bind others.
    assert.match(
      rule.expression,
      /\(!variables\.binding && request\.userInfo\.username == 'system:node:' \+ variables\.node\)/,
    );
    assert.match(
      rule.messageExpression ?? '',
      new RegExp(`the Furrow operator \\(${operator}\\) may place pods`),
    );
    assert.deepEqual(
      placement.spec.variables.map((v) => v.name),
      ['binding', 'node'],
    );
  }
});

test('the placement policy follows the exempt groups, selector, actions and enabled switch', () => {
  const exempt = (args: string[]) =>
    render(args).placement?.spec.matchConditions.find((c) => c.name === 'not-an-exempt-group')?.expression;
  assert.match(exempt([]) ?? '', /g in \["system:masters"\]/);
  assert.equal(exempt(['--set-json', 'admissionPolicy.exemptGroups=[]']), undefined);
  assert.equal(
    render(['--set-json', 'admissionPolicy.namespaceSelector=null']).placementBinding?.spec.matchResources,
    undefined,
  );
  assert.deepEqual(
    render(['--set-json', 'admissionPolicy.validationActions=["Warn","Audit"]']).placementBinding?.spec
      .validationActions,
    ['Warn', 'Audit'],
  );
  const off = render(['--set', 'admissionPolicy.enabled=false']);
  assert.equal(off.placement, undefined);
  assert.equal(off.count, 0);
});
