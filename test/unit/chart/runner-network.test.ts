// The runner NetworkPolicy the operator builds from the configuration the chart gives it
// (values → env → options → policy), evaluated the way a CNI would for a runner pod's egress:
// the cloud metadata addresses, the API server and the configured ranges are unreachable, the
// internet is reachable, nothing gets in. Whether the real node's engine enforces it is ADR 15.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from '../../../src/config/options.ts';
import { runnerPolicyConfig } from '../../../src/resources/network-policy/config.ts';
import {
  buildRunnerPolicy,
  type NetworkPolicy,
} from '../../../src/resources/network-policy/runner-policy.ts';
import { helmTemplate, only, parseManifest, type KubeObject } from '../../support/helm.ts';
import { env, operatorContainer } from './rendered.ts';

/** An address as a number and its width (32 or 128 bits); IPv6 with :: shortening. */
function parseIp(text: string): { n: bigint; bits: number } | undefined {
  if (!text.includes(':')) {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    return { n: parts.reduce((n, p) => n * 256n + BigInt(p), 0n), bits: 32 };
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { n: groups.reduce((n, g) => n * 65536n + BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', prefix = ''] = cidr.split('/');
  const a = parseIp(ip);
  const b = parseIp(base);
  if (!a || !b || a.bits !== b.bits) return false; // an IPv4 block never matches IPv6
  const shift = BigInt(a.bits - Number(prefix));
  return a.n >> shift === b.n >> shift;
}

/** Whether the policy lets a selected pod open a connection to ip:port by address (ipBlock peers). */
function egressAllowed(policy: NetworkPolicy, ip: string, port: number, protocol = 'TCP'): boolean {
  return (policy.spec?.egress ?? []).some((rule) => {
    const portOk =
      !rule.ports || rule.ports.some((p) => (p.protocol ?? 'TCP') === protocol && (p.port ?? port) === port);
    const peerOk =
      !rule.to ||
      rule.to.some(
        (peer) =>
          peer.ipBlock !== undefined &&
          inCidr(ip, peer.ipBlock.cidr) &&
          !(peer.ipBlock.except ?? []).some((e) => inCidr(ip, e)),
      );
    return portOk && peerOk;
  });
}

const apiServer = ['192.0.2.10/32', '2001:db8::10/128'];
function policyOf(variant: string): NetworkPolicy {
  const { options } = parseOptions(operatorContainer(variant).args ?? [], env(variant), {
    isTTY: false,
    hostname: 'host',
  });
  assert.equal(options.runnerNetworkPolicy, true, 'on by default');
  return buildRunnerPolicy('ci-runs', apiServer, runnerPolicyConfig(options));
}
const defaults = () => policyOf('default');
const hardened = () => policyOf('runner-namespace');

test('every cloud metadata address is unreachable on every port, IPv4 and IPv6', () => {
  for (const policy of [defaults(), hardened()]) {
    for (const port of [80, 443, 8080])
      for (const ip of [
        '169.254.169.254',
        '169.254.170.2',
        '169.254.0.1',
        '100.100.100.200',
        '168.63.129.16',
      ])
        assert.equal(egressAllowed(policy, ip, port), false, `${ip}:${port}`);
    assert.equal(egressAllowed(policy, 'fd00:ec2::254', 80), false);
  }
});

test('the API server’s addresses are unreachable', () => {
  for (const policy of [defaults(), hardened()]) {
    assert.equal(egressAllowed(policy, '192.0.2.10', 6443), false);
    assert.equal(egressAllowed(policy, '2001:db8::10', 443), false);
    assert.equal(egressAllowed(policy, '192.0.2.11', 443), true, 'only the API server, not its neighbours');
  }
});

test('the cluster’s pod and Service ranges are unreachable (the kubernetes Service included)', () => {
  const policy = defaults();
  for (const [ip, port] of [
    ['10.244.0.5', 8080], // a pod (kubeadm's default pod network)
    ['10.244.255.254', 5432],
    ['10.96.0.1', 443], // the kubernetes Service: the API server
    ['10.96.0.10', 53], // the DNS Service by address (DNS is allowed to the DNS pods only)
    ['10.111.22.33', 9090],
  ] as const)
    assert.equal(egressAllowed(policy, ip, port), false, `${ip}:${port}`);
});

test('the ranges given in values are unreachable too, private networks and IPv6 among them', () => {
  const policy = hardened();
  for (const ip of ['172.20.1.1', '172.21.0.9', '10.0.0.1', '10.200.3.4', '192.168.1.1', 'fd00:10::5'])
    assert.equal(egressAllowed(policy, ip, 443), false, ip);
  assert.equal(egressAllowed(policy, '172.22.0.5', 443), true, 'next to the denied ranges, not in them');
});

test('the internet is reachable on any port, IPv4 and IPv6', () => {
  for (const policy of [defaults(), hardened()]) {
    for (const [ip, port] of [
      ['140.82.112.3', 443], // github.com
      ['151.101.0.223', 443], // registry.npmjs.org
      ['8.8.8.8', 53],
      ['1.1.1.1', 22],
      ['2606:4700::1111', 443],
    ] as const)
      assert.equal(egressAllowed(policy, ip, port), true, `${ip}:${port}`);
  }
});

test('DNS goes only to the cluster DNS pods, on port 53; nothing gets in', () => {
  const policy = defaults();
  const dns = policy.spec?.egress?.find((rule) => rule.ports);
  assert.deepEqual(dns?.to, [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ]);
  assert.deepEqual(dns.ports, [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ]);
  assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
  assert.equal(policy.spec?.ingress, undefined, 'Ingress with no rule: nothing may connect');
});

test('turned off in values, the operator is told so and gets no NetworkPolicy or EndpointSlice rights', () => {
  const off = parseManifest(helmTemplate(['--set', 'runnerNetworkPolicy.enabled=false']));
  const container = (
    only(off, 'Deployment', 'furrow') as KubeObject & {
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    }
  ).spec.template.spec.containers[0];
  const environment = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
  assert.equal(environment.FURROW_RUNNER_NETWORK_POLICY, 'false');
  assert.equal(environment.FURROW_RUNNER_EGRESS_DENIED_CIDRS, undefined);
  const { options } = parseOptions([], environment, { isTTY: false, hostname: 'host' });
  assert.equal(options.runnerNetworkPolicy, false);
  const rules = only(off, 'ClusterRole', 'furrow').rules as { resources: string[] }[];
  assert.equal(rules.filter((r) => r.resources.includes('networkpolicies')).length, 0);
  assert.equal(off.filter((o) => o.metadata.name === 'furrow-kubernetes-endpoints').length, 0);
});
