// The runner NetworkPolicy's options (ADR 15), beside options.ts, which lists them with the rest.
import type { ValueSpec } from './option-values.ts';

// Typed by what options.ts needs, without importing it (it imports this file).
type Definition = ValueSpec & { key: string; flag: string; help: string; default?: string };

export const runnerNetworkPolicyDefinitions = [
  {
    key: 'runnerNetworkPolicy',
    flag: 'runner-network-policy',
    kind: 'boolean',
    default: 'true',
    help: 'keep the runner NetworkPolicy (no ingress; no egress to cloud metadata, the API server or --runner-egress-denied-cidrs) in every namespace a pool admits runs from; false removes none and keeps none',
  },
  {
    key: 'runnerEgressDeniedCidrs',
    flag: 'runner-egress-denied-cidrs',
    kind: 'list',
    // kubeadm's and kind's pod and Service networks, as the chart's values.
    default: '10.244.0.0/16,10.96.0.0/12',
    help: 'comma-separated CIDRs runner pods may not reach besides the metadata addresses and the API server: the cluster’s pod and Service networks (default: kubeadm’s), private ranges',
  },
  {
    key: 'runnerDnsNamespace',
    flag: 'runner-dns-namespace',
    kind: 'string',
    default: 'kube-system',
    help: 'namespace of the cluster DNS pods runner pods may query on port 53',
  },
  {
    key: 'runnerDnsPodLabels',
    flag: 'runner-dns-pod-labels',
    kind: 'list',
    default: 'k8s-app=kube-dns',
    help: 'comma-separated key=value labels of the cluster DNS pods',
  },
] as const satisfies readonly Definition[];
