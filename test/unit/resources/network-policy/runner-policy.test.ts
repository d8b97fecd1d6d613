// The runner NetworkPolicy builder: which namespaces need it (table), what it says (golden),
// the API server's addresses from EndpointSlices, and when a stored policy must be rewritten.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runnerPolicyConfig } from '../../../../src/resources/network-policy/config.ts';
import {
  apiServerCIDRs,
  buildRunnerPolicy,
  needsRunnerPolicy,
  policyDiffers,
  type NetworkPolicy,
} from '../../../../src/resources/network-policy/runner-policy.ts';
import { makePool } from '../../../support/builders.ts';
import { assertGolden } from '../../../support/golden.ts';

const config = runnerPolicyConfig({
  runnerEgressDeniedCidrs: ['10.244.0.0/16', '10.96.0.0/12', 'fd00:10::/64'],
  runnerDnsNamespace: 'kube-system',
  runnerDnsPodLabels: ['k8s-app=kube-dns'],
});
const selective = makePool({ name: 'ci', spec: { namespaceSelector: { matchLabels: { ci: 'yes' } } } });
const open = makePool({ name: 'open' });

test('which namespaces need the policy', () => {
  const ns = (name: string, labels: Record<string, string> = {}, terminating = false) => ({
    name,
    labels,
    terminating,
  });
  const cases: [string, ReturnType<typeof ns> | undefined, (typeof open)[], string[], boolean][] = [
    ['admitted by its selector', ns('a', { ci: 'yes' }), [selective], [], true],
    ['not selected', ns('a', { ci: 'no' }), [selective], [], false],
    ['a pool with no selector admits every namespace', ns('a'), [open], [], true],
    ['no pool at all', ns('a', { ci: 'yes' }), [], [], false],
    ['only a pool being deleted', ns('a'), [makePool({ name: 'gone', deleting: -5 })], [], false],
    ['terminating namespace', ns('a', { ci: 'yes' }, true), [selective], [], false],
    ['gone namespace', undefined, [open], [], false],
    ['outside --namespaces', ns('b'), [open], ['a'], false],
    ['inside --namespaces', ns('a'), [open], ['a'], true],
  ];
  for (const [what, namespace, pools, watched, want] of cases)
    assert.equal(needsRunnerPolicy(namespace, pools, watched), want, what);
});

test('the policy, golden', () => {
  const policy = buildRunnerPolicy('ci-runs', ['10.90.8.1/32', '2001:db8::1/128'], config);
  assertGolden('network-policy/runner-policy.json', `${JSON.stringify(policy, null, 2)}\n`);
});

test('the API server’s addresses come from the kubernetes EndpointSlices, both families, once each', () => {
  const slice = (addressType: string, addresses: string[][]) => ({
    addressType,
    endpoints: addresses.map((a) => ({ addresses: a })),
  });
  assert.deepEqual(
    apiServerCIDRs([
      slice('IPv4', [['10.0.0.2'], ['10.0.0.1']]),
      slice('IPv6', [['2001:db8::1']]),
      slice('IPv4', [['10.0.0.1']]),
      slice('FQDN', [['api.example.com']]),
    ] as never),
    ['10.0.0.1/32', '10.0.0.2/32', '2001:db8::1/128'],
  );
  assert.deepEqual(apiServerCIDRs([]), []);
});

test('a stored policy is rewritten only when its spec or our labels differ, not for key order', () => {
  const desired = buildRunnerPolicy('ns', ['10.0.0.1/32'], config);
  // As the API server returns it: Go's field order, its own labels and fields added.
  const stored = JSON.parse(JSON.stringify(desired)) as NetworkPolicy;
  const spec = stored.spec ?? { podSelector: {} };
  stored.spec = { egress: spec.egress, podSelector: spec.podSelector, policyTypes: spec.policyTypes };
  stored.metadata = { ...stored.metadata, uid: 'u', labels: { ...stored.metadata?.labels, extra: 'x' } };
  assert.equal(policyDiffers(stored, desired), false);
  assert.equal(
    policyDiffers(stored, buildRunnerPolicy('ns', ['10.0.0.2/32'], config)),
    true,
    'new API server',
  );
  const unlabelled = {
    ...stored,
    metadata: { ...stored.metadata, labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
  };
  assert.equal(policyDiffers(unlabelled, desired), true, 'the chart’s old policy is taken over');
});

test('bad settings are errors naming the flag', () => {
  const base = {
    runnerEgressDeniedCidrs: [],
    runnerDnsNamespace: 'kube-system',
    runnerDnsPodLabels: ['a=b'],
  };
  assert.throws(
    () => runnerPolicyConfig({ ...base, runnerEgressDeniedCidrs: ['10.0.0.0/33'] }),
    /--runner-egress-denied-cidrs: '10.0.0.0\/33'/,
  );
  assert.throws(
    () => runnerPolicyConfig({ ...base, runnerEgressDeniedCidrs: ['10.0.0.0'] }),
    /--runner-egress-denied-cidrs/,
  );
  assert.throws(
    () => runnerPolicyConfig({ ...base, runnerDnsPodLabels: ['a=b=c'] }),
    /--runner-dns-pod-labels: 'a=b=c'/,
  );
  assert.throws(() => runnerPolicyConfig({ ...base, runnerDnsPodLabels: [] }), /--runner-dns-pod-labels/);
  assert.throws(() => runnerPolicyConfig({ ...base, runnerDnsNamespace: '' }), /--runner-dns-namespace/);
  assert.deepEqual(runnerPolicyConfig({ ...base, runnerEgressDeniedCidrs: ['fd00::/8'] }).extraDeniedCIDRs, [
    'fd00::/8',
  ]);
});
