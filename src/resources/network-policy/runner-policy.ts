// Furrow's runner NetworkPolicy, one per namespace a pool admits runs from (ADR 15): which
// namespaces need it, and what it says. Runner pods run untrusted code: nothing reaches them;
// they reach the internet and the cluster DNS, but not the cloud metadata services, the API
// server, or whatever else the operator is told to deny.
import { isDeepStrictEqual } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import type { Json } from '../../kube/json.ts';
import { managedByLabel, managedByValue } from '../labels.ts';
import { group } from '../names.ts';
import { matchesSelector } from '../selectors.ts';
import type { NodePool } from '../types.ts';

export type NetworkPolicy = Json<k8s.V1NetworkPolicy>;
export type EndpointSlice = Json<k8s.V1EndpointSlice>;

/** The policy's name in every namespace: the one the chart used to create, so it is adopted. */
export const runnerPolicyName = 'furrow-runner-egress';
/** On the policies the operator keeps: what its informer selects and what it may delete. */
export const runnerPolicyLabel = `${group}/runner-network-policy`;

/**
 * Always denied: link-local (AWS, GCP, Azure and OpenStack metadata at 169.254.169.254, ECS
 * task metadata, the kubelet's link-local tricks), Alibaba Cloud's metadata, Azure's wireserver,
 * and AWS's IPv6 metadata address.
 */
export const alwaysDeniedCIDRs = [
  '169.254.0.0/16',
  '100.100.100.200/32',
  '168.63.129.16/32',
  'fd00:ec2::254/128',
] as const;

export interface RunnerPolicyConfig {
  /** More ranges to deny (the pod and Service networks, a VPC's private ranges). */
  extraDeniedCIDRs: string[];
  /** Where the cluster DNS pods are, which runner pods may query on port 53. */
  dnsNamespace: string;
  dnsPodLabels: Record<string, string>;
}

/** Whether a namespace needs the policy: watched by this operator, alive, admitted by a pool. */
export function needsRunnerPolicy(
  namespace: { name: string; labels?: Record<string, string>; terminating: boolean } | undefined,
  pools: NodePool[],
  watchedNamespaces: string[],
): boolean {
  if (!namespace || namespace.terminating) return false;
  if (watchedNamespaces.length > 0 && !watchedNamespaces.includes(namespace.name)) return false;
  return pools.some(
    (pool) =>
      !pool.metadata.deletionTimestamp &&
      (pool.spec.namespaceSelector === undefined ||
        matchesSelector(pool.spec.namespaceSelector, namespace.labels)),
  );
}

/**
 * The API server's addresses as host CIDRs, from the default/kubernetes EndpointSlices (the
 * API servers keep them current). Policies see a Service's traffic after it is translated to
 * an endpoint, so denying these addresses also denies the `kubernetes` Service.
 */
export function apiServerCIDRs(slices: EndpointSlice[]): string[] {
  const cidrs = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const endpoint of slice.endpoints ?? []) {
      for (const address of endpoint.addresses)
        cidrs.add(`${address}/${slice.addressType === 'IPv4' ? 32 : 128}`);
    }
  }
  return [...cidrs].sort();
}

const isIPv6 = (cidr: string) => cidr.includes(':');

/** The policy for `namespace`; deterministic, so an unchanged input writes nothing. */
export function buildRunnerPolicy(
  namespace: string,
  apiServer: string[],
  config: RunnerPolicyConfig,
): NetworkPolicy {
  const denied = [...new Set([...alwaysDeniedCIDRs, ...apiServer, ...config.extraDeniedCIDRs])];
  const v4 = denied.filter((c) => !isIPv6(c));
  const v6 = denied.filter(isIPv6);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: runnerPolicyName,
      namespace,
      labels: { [managedByLabel]: managedByValue, [runnerPolicyLabel]: 'true' },
    },
    spec: {
      podSelector: { matchLabels: { [managedByLabel]: managedByValue } },
      // Ingress listed with no rules: nothing reaches runner pods. (No `ingress: []`: the API
      // server drops an empty list, and the stored policy would never equal this one.)
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: v4 } }] },
        { to: [{ ipBlock: { cidr: '::/0', except: v6 } }] },
        {
          to: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': config.dnsNamespace },
              },
              podSelector: { matchLabels: config.dnsPodLabels },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
}

/** Whether `existing` must be rewritten to say what `desired` says (spec and our labels). */
export function policyDiffers(existing: NetworkPolicy, desired: NetworkPolicy): boolean {
  const labels = existing.metadata?.labels ?? {};
  for (const [key, value] of Object.entries(desired.metadata?.labels ?? {}))
    if (labels[key] !== value) return true;
  // Key order differs (the API server writes Go's field order); values must not.
  return !isDeepStrictEqual(existing.spec, desired.spec);
}
