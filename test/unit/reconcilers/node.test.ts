// The Node reconciler over in-memory caches and a fake writer: a node gets the labels and
// taints of the oldest live pool that selects it, gives them back when no pool does, and is
// left alone when it already carries them or belongs to a pool this operator doesn't see.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../../src/kube/json.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { NodeReconciler } from '../../../src/reconcilers/node.ts';
import { nodePatch } from '../../../src/resources/nodepool/node-patch.ts';
import type { NodePool } from '../../../src/resources/types.ts';
import { makeNode, makePool } from '../../support/builders.ts';
import { FakeNodeWriter } from '../../support/fake-writers.ts';
import { MemoryCache } from '../../support/memory-cache.ts';

function harness(node: Node, pools: NodePool[], scoped = false) {
  const writer = new FakeNodeWriter();
  const reconciler = new NodeReconciler({
    writer,
    nodes: new MemoryCache([node]),
    pools: new MemoryCache(pools),
    scoped,
  });
  return {
    writer,
    reconcile: (name = node.metadata?.name ?? '') =>
      reconciler.reconcile(name, { log: silentLogger(), retries: 0 }),
  };
}

const selected = () => makeNode('n1', { labels: { 'furrow.dev/class': 'peasant' } });
const taint = { key: 'furrow.dev/pool', value: 'peasant', effect: 'NoSchedule' as const };

test('a node its pool selects is patched with the pool’s labels and taints', async () => {
  const pool = makePool({ spec: { taints: [taint] } });
  const h = harness(selected(), [pool]);
  assert.equal(await h.reconcile(), undefined);
  assert.equal(h.writer.patches.length, 1);
  assert.deepEqual(h.writer.patches[0]?.patch, nodePatch(selected(), pool)?.patch);
});

test('a node that already carries what its pool asks for is not patched', async () => {
  const pool = makePool();
  const change = nodePatch(selected(), pool);
  assert.ok(change);
  const node = selected();
  node.metadata = {
    ...node.metadata,
    labels: { ...node.metadata?.labels, ...(change.patch.metadata.labels as Record<string, string>) },
    annotations: change.patch.metadata.annotations as Record<string, string>,
  };
  if (change.patch.spec) node.spec = { ...node.spec, taints: change.patch.spec.taints };
  const h = harness(node, [pool]);
  await h.reconcile();
  assert.deepEqual(h.writer.patches, []);
});

test('a conflict (the taint list is stale) is retried soon; a node gone is done', async () => {
  const h = harness(selected(), [makePool({ spec: { taints: [taint] } })]);
  h.writer.result = 'conflict';
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 200 });
  h.writer.result = 'gone';
  assert.equal(await h.reconcile(), undefined);
});

test('a node that isn’t in the cache, or that no pool wants and Furrow never touched, is left alone', async () => {
  const h = harness(makeNode('plain'), [makePool()]);
  assert.equal(await h.reconcile('missing'), undefined);
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.patches, []);
});
