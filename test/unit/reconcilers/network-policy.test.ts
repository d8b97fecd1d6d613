// The runner NetworkPolicy reconciler over in-memory caches and a recording writer: a namespace
// a pool admits gets the policy; an up-to-date one is left alone; a stale one is replaced; one
// made by someone else (409) is adopted; a namespace no pool admits loses it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Namespace } from '../../../src/informers.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import type { NetworkPolicyWriter, PolicyWrite } from '../../../src/reconcilers/network-policy-writer.ts';
import { NetworkPolicyReconciler } from '../../../src/reconcilers/network-policy.ts';
import {
  buildRunnerPolicy,
  runnerPolicyName,
  type EndpointSlice,
  type NetworkPolicy,
} from '../../../src/resources/network-policy/runner-policy.ts';
import { makePool } from '../../support/builders.ts';
import { MemoryCache } from '../../support/memory-cache.ts';

const config = { extraDeniedCIDRs: [], dnsNamespace: 'kube-system', dnsPodLabels: { 'k8s-app': 'kube-dns' } };
const slice: EndpointSlice = {
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.90.8.1'] }],
  metadata: { name: 'kubernetes', namespace: 'default' },
};
const desired = (ns = 'ci') => buildRunnerPolicy(ns, ['10.90.8.1/32'], config);
const stored = (p: NetworkPolicy, rv = '7'): NetworkPolicy => ({
  ...p,
  metadata: { ...p.metadata, uid: 'uid-np', resourceVersion: rv },
});

class RecordingWriter implements NetworkPolicyWriter {
  calls: string[] = [];
  written: NetworkPolicy[] = [];
  createResult: PolicyWrite = 'written';
  replaceResult: PolicyWrite = 'written';
  existing: NetworkPolicy | undefined;
  create(policy: NetworkPolicy) {
    this.calls.push(`create ${policy.metadata?.namespace}`);
    this.written.push(policy);
    return Promise.resolve(this.createResult);
  }
  read(namespace: string, name: string) {
    this.calls.push(`read ${namespace}/${name}`);
    return Promise.resolve(this.existing);
  }
  replace(policy: NetworkPolicy, rv: string | undefined) {
    this.calls.push(`replace ${policy.metadata?.namespace} @${rv}`);
    this.written.push(policy);
    return Promise.resolve(this.replaceResult);
  }
  delete(namespace: string, name: string, uid: string | undefined) {
    this.calls.push(`delete ${namespace}/${name} uid=${uid}`);
    return Promise.resolve<PolicyWrite>('written');
  }
}

function harness(
  o: { labels?: Record<string, string>; policies?: NetworkPolicy[]; terminating?: boolean } = {},
) {
  const writer = new RecordingWriter();
  const ns: Namespace = {
    metadata: {
      name: 'ci',
      labels: o.labels ?? { ci: 'yes' },
      ...(o.terminating ? { deletionTimestamp: new Date().toISOString() } : {}),
    },
  };
  const reconciler = new NetworkPolicyReconciler({
    writer,
    namespaces: new MemoryCache([ns]),
    pools: new MemoryCache([makePool({ spec: { namespaceSelector: { matchLabels: { ci: 'yes' } } } })]),
    policies: new MemoryCache(o.policies ?? []),
    apiServerSlices: new MemoryCache([slice]),
    watchedNamespaces: [],
    config,
  });
  return { writer, reconcile: () => reconciler.reconcile('ci', { log: silentLogger(), retries: 0 }) };
}

test('an admitted namespace without the policy gets it, with the API server denied', async () => {
  const h = harness();
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, ['create ci']);
  assert.deepEqual(h.writer.written[0], desired());
});

test('an up-to-date policy is left alone', async () => {
  const h = harness({ policies: [stored(desired())] });
  await h.reconcile();
  assert.deepEqual(h.writer.calls, []);
});

test('a stale policy (the API server moved) is replaced on its resourceVersion; a conflict retries', async () => {
  const old = stored(buildRunnerPolicy('ci', ['10.0.0.9/32'], config), '41');
  const h = harness({ policies: [old] });
  await h.reconcile();
  assert.deepEqual(h.writer.calls, ['replace ci @41']);
  assert.deepEqual(h.writer.written[0], desired());
  h.writer.replaceResult = 'conflict';
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 200 });
});

test('409 AlreadyExists: the policy of that name (the chart’s) is read and taken over', async () => {
  const h = harness();
  h.writer.createResult = 'exists';
  const chart = desired();
  h.writer.existing = stored(
    { ...chart, metadata: { ...chart.metadata, labels: { 'app.kubernetes.io/managed-by': 'Helm' } } },
    '3',
  );
  await h.reconcile();
  assert.deepEqual(h.writer.calls, ['create ci', `read ci/${runnerPolicyName}`, 'replace ci @3']);
});

test('a namespace no pool admits (or one terminating) loses the policy; without one nothing is written', async () => {
  for (const o of [{ labels: { ci: 'no' } }, { terminating: true }]) {
    const h = harness({ ...o, policies: [stored(desired())] });
    await h.reconcile();
    assert.deepEqual(h.writer.calls, [`delete ci/${runnerPolicyName} uid=uid-np`]);
    const none = harness(o);
    await none.reconcile();
    assert.deepEqual(none.writer.calls, []);
  }
});
