// The runner NetworkPolicy's settings from the operator's options, checked at start-up so a
// wrong CIDR or label is an error naming its flag, not a policy the API server keeps refusing.
import type { RunnerPolicyConfig } from './runner-policy.ts';

const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ipv6Cidr = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(\d{1,3})$/;
const labelPart = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function validCidr(cidr: string): boolean {
  const v4 = ipv4Cidr.exec(cidr);
  if (v4) return v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32;
  const v6 = ipv6Cidr.exec(cidr);
  return v6 !== null && Number(v6[1]) <= 128;
}

export function runnerPolicyConfig(options: {
  runnerEgressDeniedCidrs: string[];
  runnerDnsNamespace: string;
  runnerDnsPodLabels: string[];
}): RunnerPolicyConfig {
  for (const cidr of options.runnerEgressDeniedCidrs) {
    if (!validCidr(cidr))
      throw new Error(`--runner-egress-denied-cidrs: '${cidr}' is not a CIDR such as 10.96.0.0/12`);
  }
  const dnsPodLabels: Record<string, string> = {};
  for (const pair of options.runnerDnsPodLabels) {
    const [key = '', value = '', ...rest] = pair.split('=');
    if (rest.length > 0 || !labelPart.test(key) || (value !== '' && !labelPart.test(value)))
      throw new Error(`--runner-dns-pod-labels: '${pair}' is not key=value, e.g. k8s-app=kube-dns`);
    dnsPodLabels[key] = value;
  }
  if (Object.keys(dnsPodLabels).length === 0)
    throw new Error('--runner-dns-pod-labels: give at least one key=value label of the DNS pods');
  if (options.runnerDnsNamespace === '')
    throw new Error('--runner-dns-namespace: must name the cluster DNS namespace');
  return {
    extraDeniedCIDRs: options.runnerEgressDeniedCidrs,
    dnsNamespace: options.runnerDnsNamespace,
    dnsPodLabels,
  };
}
