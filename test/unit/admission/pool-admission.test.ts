// Admission over in-memory caches, wired as the operator wires it (src/controllers/admission.ts):
// verdicts follow the caches' notifications, a pod creation in flight holds its slot until its
// pod is cached (or 30 s pass), and a pool without limits admits while a node is ready.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PoolAdmission } from '../../../src/admission/pool-admission.ts';
import {
  activePool,
  activeRunsByPool,
  boundNode,
  controllingRunUid,
  podsByNode,
  podsByRunUid,
} from '../../../src/indexes.ts';
import { makeNode, makePod, makePool, makeRun } from '../../support/builders.ts';
import { MemoryCache } from '../../support/memory-cache.ts';
import { world } from '../../support/world.ts';

const ready = makeNode('n1', { labels: { 'furrow.dev/class': 'peasant' } });
const first = makeRun({ name: 'first', created: 0 });
const second = makeRun({ name: 'second', created: 10 });

test('a pool at its limit queues the next run in order, and frees the slot when a run finishes', () => {
  const { caches, admission } = world({
    pools: [makePool({ spec: { maxConcurrentRuns: 1 } })],
    nodes: [ready],
    runs: [first, second],
  });
  assert.deepEqual(admission.admission(first), { state: 'admitted' });
  admission.reserve(first);
  const queued = admission.admission(second);
  assert.equal(queued.state, 'queued');
  assert.equal(queued.state === 'queued' && queued.reason, 'PoolAtCapacity');

  caches.runs.set({ ...first, status: { phase: 'Succeeded' } });
  admission.release('ci/first');
  assert.deepEqual(admission.admission(second), { state: 'admitted' });
});

test('a reservation holds the slot until the run’s pod is in the cache, then the pod does', () => {
  const { caches, admission } = world({
    pools: [makePool({ spec: { maxConcurrentRuns: 1 } })],
    nodes: [ready],
    runs: [first, second],
  });
  admission.reserve(first);
  assert.equal(admission.queue('peasant').running, 1);
  caches.pods.set(makePod(first, { created: 1, phase: 'Pending' }));
  assert.equal(admission.queue('peasant').running, 1, 'the pod holds it now');
  assert.equal(admission.admission(second).state, 'queued');
});

test('a reservation the cache never confirms is dropped after 30 s', () => {
  let now = 0;
  const caches = {
    runs: new MemoryCache([first, second]),
    pods: new MemoryCache(),
    pools: new MemoryCache([makePool({ spec: { maxConcurrentRuns: 1 } })]),
    nodes: new MemoryCache([ready]),
    namespaces: new MemoryCache(),
    nodePods: new MemoryCache(),
  };
  caches.runs.addIndex(activeRunsByPool, activePool);
  caches.pods.addIndex(podsByRunUid, controllingRunUid);
  caches.nodePods.addIndex(podsByNode, boundNode);
  const admission = new PoolAdmission(caches, false, () => now);
  admission.reserve(first);
  assert.equal(admission.admission(second).state, 'queued');
  assert.equal(admission.queue('peasant').running, 1);
  now += 30_001;
  admission.invalidate('peasant');
  assert.equal(admission.queue('peasant').running, 0, 'the slot is free again');
  assert.deepEqual(admission.admission(first), { state: 'admitted' }, 'for the first in line');
});

test('a pool without limits admits every run while a node is ready, and queues them when none is', () => {
  const { caches, admission } = world({ pools: [makePool()], nodes: [ready], runs: [first, second] });
  assert.deepEqual(admission.admission(second), { state: 'admitted' });
  caches.nodes.set(makeNode('n1', { labels: { 'furrow.dev/class': 'peasant' }, ready: false }));
  const verdict = admission.admission(second);
  assert.equal(verdict.state === 'queued' && verdict.reason, 'NoReadyNodes');
});

test('a run of a pool that doesn’t exist waits for it', () => {
  const { admission } = world({ nodes: [ready], runs: [first] });
  const verdict = admission.admission(first);
  assert.equal(verdict.state === 'queued' && verdict.reason, 'PoolNotFound');
});
