// A pool's status: node counts, the queue's numbers, Ready and NodeConflict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PoolMembership } from '../../../../src/resources/nodepool/membership.ts';
import type { QueueResult } from '../../../../src/resources/nodepool/queue.ts';
import { poolStatus } from '../../../../src/resources/nodepool/status.ts';
import { poolLabels, poolTaints } from '../../../../src/resources/nodepool/taints.ts';
import { at, iso, makeNode, makePool } from '../../../support/builders.ts';

const members = (n: number, claimed: PoolMembership['claimedByOthers'] = []): PoolMembership => ({
  members: Array.from({ length: n }, (_, i) => makeNode(`n${i}`)),
  claimedByOthers: claimed,
});
const queue: QueueResult = { running: 3, queued: 7, limit: 4, capacity: 1, admissions: new Map() };

test('Ready says whether the pool can start runs, and why not', () => {
  const cases: { name: string; total: number; ready: number; want: [string, string, string] }[] = [
    {
      name: 'no node matches',
      total: 0,
      ready: 0,
      want: ['False', 'NoNodes', 'no node matches spec.nodeSelector'],
    },
    {
      name: 'none ready',
      total: 2,
      ready: 0,
      want: ['False', 'NoReadyNodes', 'none of the 2 nodes is ready'],
    },
    { name: 'some ready', total: 3, ready: 2, want: ['True', 'NodesReady', '2 of 3 nodes are ready'] },
  ];
  for (const c of cases) {
    const status = poolStatus(makePool({ generation: 3 }), members(c.total), c.ready, queue, at(0));
    const ready = status.conditions?.find((x) => x.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason, ready?.message], c.want, c.name);
    assert.deepEqual(
      { nodes: status.nodes, readyNodes: status.readyNodes, observedGeneration: status.observedGeneration },
      { nodes: c.total, readyNodes: c.ready, observedGeneration: 3 },
      c.name,
    );
  }
});

test('the queue’s numbers', () => {
  const status = poolStatus(makePool(), members(1), 1, queue, at(0));
  assert.deepEqual([status.runningRuns, status.queuedRuns, status.capacity], [3, 7, 1]);
});

test('NodeConflict names the nodes an older pool owns, the first 20 of them', () => {
  const none = poolStatus(makePool(), members(1), 1, queue, at(0)).conditions?.find(
    (c) => c.type === 'NodeConflict',
  );
  assert.deepEqual([none?.status, none?.reason], ['False', 'NoConflict']);
  const two = poolStatus(
    makePool(),
    members(1, [
      { node: 'a', pool: 'old' },
      { node: 'b', pool: 'older' },
    ]),
    1,
    queue,
    at(0),
  ).conditions?.find((c) => c.type === 'NodeConflict');
  assert.deepEqual(
    [two?.status, two?.reason, two?.message],
    [
      'True',
      'NodesOwnedByOlderPool',
      'nodes match spec.nodeSelector but belong to an older pool: a (old), b (older)',
    ],
  );
  const many = Array.from({ length: 23 }, (_, i) => ({ node: `n${i}`, pool: 'old' }));
  const message =
    poolStatus(makePool(), members(0, many), 0, queue, at(0)).conditions?.find(
      (c) => c.type === 'NodeConflict',
    )?.message ?? '';
  assert.match(message, /n19 \(old\) and 3 more$/);
  assert.doesNotMatch(message, /n20/);
});

test('conditions keep their lastTransitionTime while their status holds', () => {
  const first = poolStatus(makePool(), members(2), 0, queue, at(0));
  const pool = makePool({ status: first });
  const later = poolStatus(pool, members(0), 0, queue, at(60));
  const ready = later.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.reason, ready?.lastTransitionTime], ['NoNodes', iso(0)]);
  const back = poolStatus(makePool({ status: later }), members(2), 2, queue, at(90));
  assert.equal(back.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, iso(90));
});

test('poolTaints and poolLabels: the defaults the API documents', () => {
  assert.deepEqual(poolTaints(makePool({ name: 'p' })), [
    { key: 'furrow.dev/pool', value: 'p', effect: 'NoSchedule' },
  ]);
  assert.deepEqual(poolTaints(makePool({ name: 'p', spec: { taints: [] } })), []);
  assert.deepEqual(poolTaints(makePool({ spec: { taints: [{ key: 'k', effect: 'NoExecute' }] } })), [
    { key: 'k', effect: 'NoExecute' },
  ]);
  assert.deepEqual(poolLabels(makePool({ name: 'p' })), { 'furrow.dev/pool': 'p' });
  assert.deepEqual(
    poolLabels(makePool({ name: 'p', spec: { labels: { tier: 'ci', 'furrow.dev/pool': 'not-p' } } })),
    {
      tier: 'ci',
      'furrow.dev/pool': 'p',
    },
  );
});
