// The runner NetworkPolicy as rendered, evaluated the way a CNI would for a runner pod's egress:
// the cloud metadata address and the cluster's pod and Service ranges are unreachable, the
// internet is reachable, nothing gets in. No CNI enforces it on the local cluster (its nodes are
// simulated), so this is where it is checked; docs/security.md says so.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { helmTemplate, only, parseManifest, type KubeObject } from '../../support/helm.ts';
import { repoRoot } from '../../support/paths.ts';

interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: unknown;
  podSelector?: unknown;
}
interface Rule {
  to?: Peer[];
  ports?: { protocol?: string; port?: number }[];
}
type Policy = KubeObject & { spec: { policyTypes: string[]; ingress?: unknown[]; egress?: Rule[] } };

function ipv4(text: string): number | undefined {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const a = ipv4(ip);
  const b = ipv4(base);
  if (a === undefined || b === undefined) return false; // an IPv4 block never matches IPv6
  const size = 2 ** (32 - Number(bits));
  return Math.floor(a / size) === Math.floor(b / size);
}

/** Whether the policy lets a selected pod open a connection to ip:port by address (ipBlock peers). */
function egressAllowed(policy: Policy, ip: string, port: number, protocol = 'TCP'): boolean {
  return (policy.spec.egress ?? []).some((rule) => {
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

const policyOf = (args: string[]) => only(parseManifest(helmTemplate(args)), 'NetworkPolicy') as Policy;
const defaults = () => policyOf(['--set', 'runnerNamespace.create=true']);
const hardened = () =>
  policyOf(['--values', path.join(repoRoot, 'test', 'fixtures', 'chart', 'runner-namespace.yaml')]);

test('the cloud metadata service is unreachable on every port', () => {
  for (const policy of [defaults(), hardened()]) {
    for (const port of [80, 443, 8080]) assert.equal(egressAllowed(policy, '169.254.169.254', port), false);
  }
});

test('the cluster’s pod and Service ranges are unreachable (the API server’s Service included)', () => {
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

test('the ranges given in values are unreachable too, private networks among them', () => {
  const policy = hardened();
  for (const ip of ['172.20.1.1', '172.21.0.9', '10.0.0.1', '10.200.3.4', '192.168.1.1'])
    assert.equal(egressAllowed(policy, ip, 443), false, ip);
});

test('the internet is reachable, on any port', () => {
  for (const policy of [defaults(), hardened()]) {
    for (const [ip, port] of [
      ['140.82.112.3', 443], // github.com
      ['151.101.0.223', 443], // registry.npmjs.org
      ['8.8.8.8', 53],
      ['1.1.1.1', 22],
    ] as const)
      assert.equal(egressAllowed(policy, ip, port), true, `${ip}:${port}`);
  }
});

test('no IPv6 at all (the IPv6 metadata address included), and nothing gets in', () => {
  const policy = defaults();
  assert.equal(egressAllowed(policy, 'fd00:ec2::254', 80), false);
  assert.equal(egressAllowed(policy, '2606:4700::1111', 443), false);
  assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(policy.spec.ingress, []);
});
