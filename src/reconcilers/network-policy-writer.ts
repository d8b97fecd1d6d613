// The runner NetworkPolicy controller's writes (beside writers.ts, which the run, pool and node
// controllers share): what 404 and 409 mean for a policy.
import type { KubeClients } from '../kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';
import type { NetworkPolicy } from '../resources/network-policy/runner-policy.ts';

/** What became of a write: `exists` = a policy of that name was there already (create). */
export type PolicyWrite = 'written' | 'exists' | 'conflict' | 'gone';

export interface NetworkPolicyWriter {
  create(policy: NetworkPolicy): Promise<PolicyWrite>;
  /** A policy read past the cache (one made by someone else, e.g. the chart, has no label). */
  read(namespace: string, name: string): Promise<NetworkPolicy | undefined>;
  /** Replaces the policy as it was at `resourceVersion`. */
  replace(policy: NetworkPolicy, resourceVersion: string | undefined): Promise<PolicyWrite>;
  /** Deletes the policy of that uid: `gone` when it was already gone or replaced. */
  delete(namespace: string, name: string, uid: string | undefined): Promise<PolicyWrite>;
}

export function networkPolicyWriter(clients: Pick<KubeClients, 'networking'>): NetworkPolicyWriter {
  const api = clients.networking;
  const where = (p: NetworkPolicy) => ({
    namespace: p.metadata?.namespace ?? '',
    name: p.metadata?.name ?? '',
  });
  return {
    async create(policy) {
      try {
        await api.createNamespacedNetworkPolicy({
          namespace: where(policy).namespace,
          body: policy as never,
        });
        return 'written';
      } catch (err) {
        if (isAlreadyExists(err)) return 'exists';
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
    async read(namespace, name) {
      try {
        const policy = await api.readNamespacedNetworkPolicy({ namespace, name });
        return JSON.parse(JSON.stringify(policy)) as NetworkPolicy;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async replace(policy, resourceVersion) {
      try {
        const body = { ...policy, metadata: { ...policy.metadata, resourceVersion } };
        await api.replaceNamespacedNetworkPolicy({ ...where(policy), body: body as never });
        return 'written';
      } catch (err) {
        if (isConflict(err)) return 'conflict';
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
    async delete(namespace, name, uid) {
      try {
        await api.deleteNamespacedNetworkPolicy({
          namespace,
          name,
          ...(uid ? { body: { preconditions: { uid } } } : {}),
        });
        return 'written';
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return 'gone';
        throw err;
      }
    },
  };
}
