// The runner NetworkPolicy controller's setup (ADR 15): keys are namespaces. For Namespaces,
// owns Furrow's runner NetworkPolicies (label-selected), and watches NodePools (a pool's
// namespaceSelector decides which namespaces need one) and the API server's EndpointSlices
// (whose addresses every policy denies).
import type { Namespace } from '../informers.ts';
import { networkPolicyWriter } from '../reconcilers/network-policy-writer.ts';
import { NetworkPolicyReconciler } from '../reconcilers/network-policy.ts';
import { runnerPolicyConfig } from '../resources/network-policy/config.ts';
import type { NetworkPolicy } from '../resources/network-policy/runner-policy.ts';
import { onPoolShapeChange, type ControllerEntry, type SetupContext } from './setup.ts';

export function setupNetworkPolicyController(ctx: SetupContext): ControllerEntry {
  const { caches, options } = ctx;
  const { runnerPolicies: policies, apiServerSlices } = caches;
  if (!options.runnerNetworkPolicy || !policies || !apiServerSlices) {
    // Opted out: nothing is watched, kept or removed.
    return {
      name: 'network-policy',
      controller: ctx.newController('network-policy', () => Promise.resolve(undefined)),
      resync() {},
    };
  }
  const reconciler = new NetworkPolicyReconciler({
    writer: networkPolicyWriter(ctx.clients),
    namespaces: caches.namespaces,
    pools: caches.pools,
    policies,
    apiServerSlices,
    watchedNamespaces: options.namespaces,
    config: runnerPolicyConfig(options),
  });
  const controller = ctx.newController('network-policy', reconciler.reconcile);
  const all = () => {
    for (const ns of caches.namespaces.list()) controller.enqueue(ns.metadata?.name ?? '');
    // A policy left in a namespace the cache no longer lists (it is being deleted) is looked at too.
    for (const policy of policies.list()) controller.enqueue(policy.metadata?.namespace ?? '');
  };

  const onNamespace = (ns: Namespace) => {
    controller.enqueue(ns.metadata?.name ?? '');
  };
  caches.namespaces.on({ add: onNamespace, update: onNamespace, delete: onNamespace });
  const onPolicy = (policy: NetworkPolicy) => {
    controller.enqueue(policy.metadata?.namespace ?? '');
  };
  policies.on({ add: onPolicy, update: onPolicy, delete: onPolicy });
  onPoolShapeChange(caches.pools, all);
  apiServerSlices.on({ add: all, update: all, delete: all });

  return {
    name: 'network-policy',
    controller,
    resync(everything) {
      if (everything) all();
    },
  };
}
