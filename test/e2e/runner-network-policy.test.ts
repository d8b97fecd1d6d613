// The runner NetworkPolicy kept by the operator (ADR 15), on the real API server: a namespace
// gets it when a pool starts admitting runs from it (taking over a policy of that name made
// before, as the chart used to), it follows the API server's EndpointSlices, and it goes when
// the pool stops admitting the namespace. Whether a runner pod's traffic is really blocked
// needs an engine on the real node, which this VM's kernel can't run (ADR 15): the policy's
// meaning is checked in test/unit/chart/runner-network.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { furrowEnv } from '../support/env.ts';
import { core, kubeConfig, waitFor } from '../support/kube.ts';
import {
  runnerPolicyLabel,
  runnerPolicyName,
  type NetworkPolicy,
} from '../../src/resources/network-policy/runner-policy.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const networking = () => kubeConfig().makeApiClient(k8s.NetworkingV1Api);
const discovery = () => kubeConfig().makeApiClient(k8s.DiscoveryV1Api);
const readPolicy = async (namespace: string) =>
  JSON.parse(
    JSON.stringify(
      await networking()
        .readNamespacedNetworkPolicy({ namespace, name: runnerPolicyName })
        .catch(() => undefined),
    ) ?? 'null',
  ) as NetworkPolicy | null;
const v4Except = (p: NetworkPolicy | null) =>
  p?.spec?.egress?.flatMap((r) => r.to ?? []).find((peer) => peer.ipBlock?.cidr === '0.0.0.0/0')?.ipBlock
    ?.except ?? [];

test('the operator keeps the runner NetworkPolicy in exactly the namespaces its pools admit', async (t) => {
  const admitted = { 'e2e.furrow.dev/runner-policy': 'yes' };
  const env = await furrowEnv(t, { pool: { namespaceSelector: { matchLabels: admitted } } });
  const ns = env.namespace;

  // Not admitted: no policy, even after the operator has had time to act on the pool.
  await waitFor('pool status (the operator has seen the pool)', async () => (await env.pool()).status);
  assert.equal(await readPolicy(ns), null, 'a namespace no pool admits has no policy');

  // A policy of that name from before (the chart's), unlabelled and permissive: taken over.
  await networking().createNamespacedNetworkPolicy({
    namespace: ns,
    body: {
      metadata: { name: runnerPolicyName, labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] },
    },
  });
  await core().patchNamespace({ name: ns, body: { metadata: { labels: admitted } } }, mergePatch);
  const kept = await waitFor('the operator’s policy', async () => {
    const p = await readPolicy(ns);
    return p?.metadata?.labels?.[runnerPolicyLabel] === 'true' ? p : undefined;
  });
  assert.deepEqual(kept.spec?.podSelector, { matchLabels: { 'app.kubernetes.io/managed-by': 'furrow' } });
  assert.deepEqual(kept.spec?.policyTypes, ['Ingress', 'Egress']);
  assert.equal(kept.spec?.ingress, undefined, 'no ingress rule: nothing gets in');
  for (const cidr of ['169.254.0.0/16', '100.100.100.200/32', '168.63.129.16/32'])
    assert.ok(v4Except(kept).includes(cidr), cidr);

  // The API server's addresses come from default/kubernetes's EndpointSlices, kept current.
  // (This cluster's API server advertises 127.0.0.1, for which it writes none: add one.)
  const slice = `kubernetes-e2e-${env.id}`;
  await discovery().createNamespacedEndpointSlice({
    namespace: 'default',
    body: {
      metadata: { name: slice, labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.77'] }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    },
  });
  const removeSlice = () =>
    discovery()
      .deleteNamespacedEndpointSlice({ namespace: 'default', name: slice })
      .catch(() => undefined);
  t.after(removeSlice);
  await waitFor('the API server’s address denied', async () =>
    v4Except(await readPolicy(ns)).includes('192.0.2.77/32'),
  );
  await removeSlice();
  await waitFor('the old address no longer listed', async () => {
    const except = v4Except(await readPolicy(ns));
    return except.length > 0 && !except.includes('192.0.2.77/32');
  });

  // Edited by hand: put back.
  await networking().patchNamespacedNetworkPolicy(
    { namespace: ns, name: runnerPolicyName, body: { spec: { policyTypes: ['Egress'] } } },
    mergePatch,
  );
  await waitFor('the policy restored', async () => (await readPolicy(ns))?.spec?.policyTypes?.length === 2);

  // No longer admitted: removed.
  await core().patchNamespace(
    { name: ns, body: { metadata: { labels: { 'e2e.furrow.dev/runner-policy': null } } } },
    mergePatch,
  );
  await waitFor('the policy removed', async () => (await readPolicy(ns)) === null);

  // Admitted again through the pool (its selector changes), then the pool goes: removed.
  // (A merge patch: the old key is removed by name.)
  await env.patchPool({
    namespaceSelector: {
      matchLabels: { 'kubernetes.io/metadata.name': ns, 'e2e.furrow.dev/runner-policy': null as never },
    },
  });
  await waitFor('the policy back', async () => (await readPolicy(ns)) !== null);
  await env.deletePool();
  await waitFor('the policy removed with the pool', async () => (await readPolicy(ns)) === null);
});
