// The operator's caches: what it watches, with which selectors and trimming. Every other part
// reads Kubernetes state from here; each controller's setup (src/controllers/) adds the indexes
// it reads and the handlers of the notifications it cares about.
import type * as k8s from '@kubernetes/client-node';
import type { BackoffPolicy } from './kube/backoff.ts';
import { NamespacedCache, type Cache } from './kube/cache.ts';
import type { KubeClients } from './kube/client.ts';
import { Informer } from './kube/informer.ts';
import type { Json, Node, Pod } from './kube/json.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import { runnerPodSelector, runUidLabel } from './resources/labels.ts';
import {
  runnerPolicyLabel,
  type EndpointSlice,
  type NetworkPolicy,
} from './resources/network-policy/runner-policy.ts';
import { trimNode, trimNodePod, trimPod, trimRun } from './trim.ts';
import { group, nodePoolNames, pipelineRunNames, version } from './resources/names.ts';
import type { NodePool, PipelineRun } from './resources/types.ts';

export interface Caches {
  runs: Cache<PipelineRun>;
  pods: Cache<Pod>;
  pools: Cache<NodePool>;
  nodes: Cache<Node>;
  /** For NodePool namespaceSelectors: only labels are kept. */
  namespaces: Cache<Namespace>;
  /**
   * The other pods bound to nodes (DaemonSets', mostly): unfinished, not runner pods, trimmed to
   * their effective requests, so that admission knows what a pool's nodes can still take.
   */
  nodePods: Cache<Pod>;
  /** The runner NetworkPolicies the operator keeps (ADR 15); only when it keeps them. */
  runnerPolicies?: Cache<NetworkPolicy>;
  /** default/kubernetes's EndpointSlices: the API server's addresses, which runner pods are denied. */
  apiServerSlices?: Cache<EndpointSlice>;
}

export type Namespace = Json<k8s.V1Namespace>;

// Restarts while the API server is away: a few attempts a minute per informer at most, and
// back within 10 s of its return.
const restartBackoff: BackoffPolicy = { baseMs: 500, maxMs: 10_000, jitter: 0.3 };

export function createCaches(
  kc: k8s.KubeConfig,
  clients: KubeClients,
  watchedNamespaces: string[],
  poolSelector: string,
  logger: Logger,
  metrics: Metrics,
  onRecovered: () => void,
  runnerPolicies = false,
): Caches {
  const common = { restartBackoff, logger, metrics, onRecovered, clients };
  const crdPath = (plural: string) => (ns: string | undefined) =>
    ns ? `/apis/${group}/${version}/namespaces/${ns}/${plural}` : `/apis/${group}/${version}/${plural}`;

  const runs = new NamespacedCache<PipelineRun>(kc, watchedNamespaces, {
    ...common,
    kind: pipelineRunNames.kind,
    path: crdPath(pipelineRunNames.plural),
    trim: trimRun,
  });

  const pods = new NamespacedCache<Pod>(kc, watchedNamespaces, {
    ...common,
    kind: 'Pod',
    path: (ns) => (ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods'),
    labelSelector: runnerPodSelector,
    trim: trimPod,
  });

  const pools = new Informer<NodePool>(kc, {
    ...common,
    kind: nodePoolNames.kind,
    path: `/apis/${group}/${version}/${nodePoolNames.plural}`,
    ...(poolSelector ? { labelSelector: poolSelector } : {}),
  });

  const nodes = new Informer<Node>(kc, {
    ...common,
    kind: 'Node',
    path: '/api/v1/nodes',
    trim: trimNode,
  });

  const namespaces = new Informer<Namespace>(kc, {
    ...common,
    kind: 'Namespace',
    path: '/api/v1/namespaces',
    trim: (ns) => ({
      metadata: {
        name: ns.metadata?.name,
        labels: ns.metadata?.labels,
        // A terminating namespace takes no new runner NetworkPolicy.
        deletionTimestamp: ns.metadata?.deletionTimestamp,
        resourceVersion: ns.metadata?.resourceVersion,
      },
    }),
  });

  // Cluster-wide whatever namespaces the operator runs: a pool's node runs other namespaces'
  // pods too. Only pods bound to a node and not finished; a pod that finishes or is deleted
  // leaves the selection, and the watch says so with a delete.
  const nodePods = new Informer<Pod>(kc, {
    ...common,
    kind: 'NodePod',
    path: '/api/v1/pods',
    labelSelector: `!${runUidLabel}`,
    fieldSelector: 'spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed',
    trim: trimNodePod,
  });

  if (!runnerPolicies) return { runs, pods, pools, nodes, namespaces, nodePods };
  return {
    runs,
    pods,
    pools,
    nodes,
    namespaces,
    nodePods,
    runnerPolicies: new NamespacedCache<NetworkPolicy>(kc, watchedNamespaces, {
      ...common,
      kind: 'NetworkPolicy',
      path: (ns) =>
        ns
          ? `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`
          : '/apis/networking.k8s.io/v1/networkpolicies',
      labelSelector: runnerPolicyLabel,
    }),
    apiServerSlices: new Informer<EndpointSlice>(kc, {
      ...common,
      kind: 'EndpointSlice',
      path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      labelSelector: 'kubernetes.io/service-name=kubernetes',
    }),
  };
}

export function startCaches(caches: Caches): void {
  for (const cache of Object.values(caches) as Cache<unknown>[]) cache.start();
}

export async function waitForCaches(caches: Caches): Promise<void> {
  await Promise.all((Object.values(caches) as Cache<unknown>[]).map((c) => c.waitForSync()));
}

export function cachesSynced(caches: Caches): boolean {
  return (Object.values(caches) as Cache<unknown>[]).every((c) => c.hasSynced());
}

export async function stopCaches(caches: Caches): Promise<void> {
  await Promise.all((Object.values(caches) as Cache<unknown>[]).map((c) => c.stop()));
}
