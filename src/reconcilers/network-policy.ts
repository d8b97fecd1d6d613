// The runner NetworkPolicy reconciler (ADR 15): a key is a namespace. A namespace that a live
// pool admits runs from gets Furrow's runner policy, kept as the builder says (the API server's
// addresses change with its EndpointSlices); one that no longer needs it loses it. A policy of
// that name made by someone else (the chart did, before the operator kept them) is adopted.
import type { CacheReader } from '../kube/cache.ts';
import type { ReconcileContext, ReconcileResult } from '../kube/controller.ts';
import type { Namespace } from '../informers.ts';
import { objectLogger } from '../observability/logger.ts';
import {
  apiServerCIDRs,
  buildRunnerPolicy,
  needsRunnerPolicy,
  policyDiffers,
  runnerPolicyName,
  type EndpointSlice,
  type NetworkPolicy,
  type RunnerPolicyConfig,
} from '../resources/network-policy/runner-policy.ts';
import type { NodePool } from '../resources/types.ts';
import type { NetworkPolicyWriter } from './network-policy-writer.ts';

export interface NetworkPolicyReconcilerDeps {
  writer: NetworkPolicyWriter;
  namespaces: CacheReader<Namespace>;
  pools: CacheReader<NodePool>;
  policies: CacheReader<NetworkPolicy>;
  apiServerSlices: CacheReader<EndpointSlice>;
  watchedNamespaces: string[];
  config: RunnerPolicyConfig;
}

export class NetworkPolicyReconciler {
  private readonly deps: NetworkPolicyReconcilerDeps;

  constructor(deps: NetworkPolicyReconcilerDeps) {
    this.deps = deps;
  }

  reconcile = async (namespace: string, ctx: ReconcileContext): Promise<ReconcileResult | undefined> => {
    const { deps } = this;
    const ns = deps.namespaces.get(namespace);
    const wanted = needsRunnerPolicy(
      ns && {
        name: namespace,
        labels: ns.metadata?.labels,
        terminating: ns.metadata?.deletionTimestamp !== undefined,
      },
      deps.pools.list(),
      deps.watchedNamespaces,
    );
    const existing = deps.policies.get(runnerPolicyName, namespace);
    const log = objectLogger(ctx.log, { kind: 'NetworkPolicy', namespace, name: runnerPolicyName });

    if (!wanted) {
      if (!existing) return undefined;
      const outcome = await deps.writer.delete(namespace, runnerPolicyName, existing.metadata?.uid);
      if (outcome === 'written') log.info('deleted runner NetworkPolicy: no pool admits runs from here');
      return undefined;
    }

    const desired = buildRunnerPolicy(namespace, apiServerCIDRs(deps.apiServerSlices.list()), deps.config);
    if (existing && !policyDiffers(existing, desired)) return undefined;
    let current = existing;
    if (!current) {
      const created = await deps.writer.create(desired);
      if (created === 'written') {
        log.info('created runner NetworkPolicy');
        return undefined;
      }
      if (created === 'gone') return undefined;
      // 409: a policy of that name is there but not (yet) in the cache: take it over.
      current = await deps.writer.read(namespace, runnerPolicyName);
      if (!current) return { requeueAfterMs: 200 };
      if (!policyDiffers(current, desired)) return undefined;
    }
    const outcome = await deps.writer.replace(desired, current.metadata?.resourceVersion);
    if (outcome === 'conflict') return { requeueAfterMs: 200 };
    if (outcome === 'written')
      log.info(existing ? 'updated runner NetworkPolicy' : 'adopted runner NetworkPolicy');
    return undefined;
  };
}
