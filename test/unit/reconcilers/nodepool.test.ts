// The NodePool reconciler over in-memory caches and a fake writer: the cleanup finalizer, the
// status and its rate, the Ready events, the queue's verdicts passed on to runs, and a deleted
// pool's cleanup with its deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../../src/kube/json.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import {
  cleanupDeadlineMs,
  cleanupFinalizer,
  NodePoolReconciler,
} from '../../../src/reconcilers/nodepool.ts';
import { nodePatch } from '../../../src/resources/nodepool/node-patch.ts';
import type { NodePool, NodePoolStatus, PipelineRun } from '../../../src/resources/types.ts';
import { at, makeNode, makePool, makeRun } from '../../support/builders.ts';
import { FakeNodePoolWriter } from '../../support/fake-writers.ts';
import { recorder, world } from '../../support/world.ts';

const member = (name: string, ready = true) =>
  makeNode(name, { labels: { 'furrow.dev/class': 'peasant' }, ready });

function harness(pool: NodePool, o: { nodes?: Node[]; runs?: PipelineRun[]; now?: number } = {}) {
  const w = world({ pools: [pool], nodes: o.nodes ?? [], runs: o.runs ?? [] });
  const writer = new FakeNodePoolWriter();
  const events = recorder();
  const enqueued: string[] = [];
  const metrics = new Metrics();
  let now = o.now ?? at(0);
  const reconciler = new NodePoolReconciler({
    writer,
    pools: w.caches.pools,
    nodes: w.caches.nodes,
    runs: w.caches.runs,
    admission: w.admission,
    recorder: events,
    metrics,
    enqueueRun: (key) => enqueued.push(`run ${key}`),
    enqueueNode: (name) => enqueued.push(`node ${name}`),
    clock: () => now,
  });
  return {
    ...w,
    writer,
    events: events.events,
    enqueued,
    metrics,
    tick: (seconds: number) => (now += seconds * 1000),
    reconcile: () => reconciler.reconcile(pool.metadata.name ?? '', { log: silentLogger(), retries: 0 }),
  };
}

/** A member whose record says Furrow labelled it for the pool. */
function recordedMember(name: string): Node {
  const node = member(name);
  const change = nodePatch(node, makePool());
  assert.ok(change);
  node.metadata = {
    ...node.metadata,
    annotations: change.patch.metadata.annotations as Record<string, string>,
  };
  return node;
}

const withFinalizer = (o: Parameters<typeof makePool>[0] = {}): NodePool => {
  const pool = makePool(o);
  pool.metadata.finalizers = [cleanupFinalizer];
  return pool;
};

test('a pool without the cleanup finalizer gets it first, and nothing else yet', async () => {
  const h = harness(makePool());
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, [`patch peasant finalizers=[${cleanupFinalizer}]`]);
});

test('the status counts the pool’s nodes; Ready turning True is an Event', async () => {
  const h = harness(withFinalizer(), { nodes: [member('n1'), member('n2', false), makeNode('other')] });
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, ['write status peasant']);
  const status = h.writer.statuses[0] as NodePoolStatus;
  assert.equal(status.nodes, 2);
  assert.equal(status.readyNodes, 1);
  assert.deepEqual(h.events, ['Normal NodesReady: 1 of 2 nodes are ready']);
  const gauge = await h.metrics.registry.getSingleMetricAsString('furrow_nodepool_ready_nodes');
  assert.match(gauge, /pool="peasant"} 1/);
});

test('a status conflict is retried soon; a pool gone meanwhile is not', async () => {
  const h = harness(withFinalizer(), { nodes: [member('n1')] });
  h.writer.statusResult = 'conflict';
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 200 });
  h.writer.statusResult = 'gone';
  assert.equal(await h.reconcile(), undefined);
});

test('runs whose status doesn’t show the queue’s verdict are reconciled', async () => {
  const running = makeRun({ name: 'first', created: 0, status: { phase: 'Running', attempt: 1 } });
  const waiting = makeRun({ name: 'second', created: 10 });
  const h = harness(withFinalizer({ spec: { maxConcurrentRuns: 1 } }), {
    nodes: [member('n1')],
    runs: [running, waiting],
  });
  await h.reconcile();
  assert.deepEqual(h.enqueued, ['run ci/second']);
});

test('a deleted pool waits for its nodes to be cleaned, then drops its finalizer', async () => {
  const pool = withFinalizer({ deleting: 0 });
  const labelled = recordedMember('n1');
  const h = harness(pool, { nodes: [labelled] });
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 1000 });
  assert.deepEqual(h.enqueued, ['node n1']);
  assert.deepEqual(h.writer.calls, []);

  h.caches.nodes.set(member('n1'));
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, ['patch peasant finalizers=[]']);
  assert.deepEqual(h.events, []);
});

test('a node that can’t be cleaned stops blocking a deleted pool after the deadline', async () => {
  const pool = withFinalizer({ deleting: 0 });
  const labelled = recordedMember('n1');
  const h = harness(pool, { nodes: [labelled] });
  h.tick(cleanupDeadlineMs / 1000);
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, ['patch peasant finalizers=[]']);
  assert.equal(h.events.length, 1);
  assert.match(h.events[0] ?? '', /^Warning CleanupIncomplete: .*n1/);
});

test('a pool gone from the cache clears its gauges', async () => {
  const h = harness(withFinalizer(), { nodes: [member('n1')] });
  await h.reconcile();
  h.caches.pools.remove(h.caches.pools.list()[0] as NodePool);
  assert.equal(await h.reconcile(), undefined);
  const gauge = await h.metrics.registry.getSingleMetricAsString('furrow_nodepool_ready_nodes');
  assert.doesNotMatch(gauge, /pool="peasant"/);
});
