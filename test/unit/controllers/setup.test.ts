// The controllers' setup modules, wired over in-memory caches as operator.ts wires them: which
// cache notification reaches which controller's key, and what a resync looks at. The rules: a
// pool's status write wakes only the pool (not its runs and nodes); a run or pod wakes its pool
// after poolSettleMs; a pod without a controlling run wakes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poolSettleMs } from '../../../src/controllers/nodepool.ts';
import { setupNodeController } from '../../../src/controllers/node.ts';
import { setupPipelineRunController } from '../../../src/controllers/pipelinerun.ts';
import { ControllerList, type SetupContext } from '../../../src/controllers/setup.ts';
import { setupNodePoolController } from '../../../src/controllers/nodepool.ts';
import { parseOptions } from '../../../src/config/options.ts';
import { KubeClients } from '../../../src/kube/client.ts';
import { Controller } from '../../../src/kube/controller.ts';
import { EventRecorder } from '../../../src/kube/k8s-events.ts';
import { kubeConfigFor } from '../../support/local-kubeconfig.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { makeNode, makePod, makePool, makeRun } from '../../support/builders.ts';
import { world } from '../../support/world.ts';

/** Every key of the world below: what a pool's new spec, or a full resync, wakes. */
const everything = ['node n1', 'node n2', 'nodepool peasant', 'pipelinerun ci/app', 'pipelinerun ci/done'];

function wired() {
  const finished = makeRun({ name: 'done', status: { phase: 'Succeeded' } });
  const w = world({
    pools: [makePool()],
    nodes: [makeNode('n1'), makeNode('n2')],
    runs: [makeRun({ name: 'app' }), finished],
  });
  const kc = kubeConfigFor('https://127.0.0.1:1');
  const metrics = new Metrics();
  const clients = new KubeClients(kc, metrics, { qps: 1, burst: 1, timeoutMs: 1000 });
  const keys: string[] = [];
  const list = new ControllerList();
  const ctx: SetupContext = {
    options: parseOptions([], {}, { isTTY: false, hostname: 'h' }).options,
    caches: w.caches,
    admission: w.admission,
    clients,
    recorder: new EventRecorder(clients.events, { controller: 'c', instance: 'i' }, silentLogger()),
    metrics,
    log: silentLogger(),
    newController: (name, reconcile) => {
      const c = new Controller({
        name,
        reconcile,
        workers: 1,
        backoff: { baseMs: 5, maxMs: 5 },
        logger: silentLogger(),
        metrics,
      });
      c.enqueue = (key) => keys.push(`${name} ${key}`);
      c.enqueueAfter = (key, ms) => keys.push(`${name} ${key} after ${ms}`);
      return c;
    },
    controllers: list,
  };
  for (const setup of [setupPipelineRunController, setupNodeController, setupNodePoolController])
    list.add(setup(ctx));
  const take = () => keys.splice(0).sort();
  return { ...w, list, take };
}

test('controllers are found by name', () => {
  const { list } = wired();
  assert.deepEqual(
    list.entries.map((e) => e.name),
    ['pipelinerun', 'node', 'nodepool'],
  );
  assert.equal(list.get('node').name, 'node');
  assert.throws(() => list.add(list.entries[0] ?? assert.fail()), /twice/);
});

test('a run wakes itself, and its pool after the settle delay', () => {
  const { caches, take } = wired();
  caches.runs.set(makeRun({ name: 'new' }));
  assert.deepEqual(take(), ['nodepool peasant after 250', 'pipelinerun ci/new']);
  assert.equal(poolSettleMs, 250);
});

test('a runner pod wakes its run and its pool; a pod no run controls wakes nothing', () => {
  const { caches, take } = wired();
  caches.pods.set(makePod(makeRun({ name: 'app' }), { created: 1, phase: 'Pending' }));
  assert.deepEqual(take(), ['nodepool peasant after 250', 'pipelinerun ci/app']);
  caches.pods.set({ metadata: { name: 'stray', namespace: 'ci', labels: { 'furrow.dev/pool': 'peasant' } } });
  assert.deepEqual(take(), []);
});

test('a pool’s status write wakes only the pool; a new spec wakes its runs and every node', () => {
  const { caches, take } = wired();
  const pool = makePool();
  caches.pools.set(pool); // as the first list delivers it
  take();
  caches.pools.set({ ...pool, status: { nodes: 3 } });
  assert.deepEqual(take(), ['nodepool peasant']);
  caches.pools.set(makePool({ generation: 2 }));
  assert.deepEqual(take(), everything);
  caches.pools.remove(pool);
  assert.deepEqual(take(), everything);
});

test('a node wakes itself and every pool; a namespace every pool', () => {
  const { caches, take } = wired();
  caches.nodes.set(makeNode('n3'));
  assert.deepEqual(take(), ['node n3', 'nodepool peasant']);
  caches.namespaces.set({ metadata: { name: 'ci', labels: {} } });
  assert.deepEqual(take(), ['nodepool peasant']);
});

test('a resync looks at unfinished runs and pools; everything adds finished runs and nodes', () => {
  const { list, take } = wired();
  for (const e of list.entries) e.resync(false);
  assert.deepEqual(take(), ['nodepool peasant', 'pipelinerun ci/app']);
  for (const e of list.entries) e.resync(true);
  assert.deepEqual(take(), everything);
});
