// Which pool owns which node: the oldest matching pool, ties by name; deleting pools own nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isReadyNode,
  livePools,
  membership,
  owningPool,
} from '../../../../src/resources/nodepool/membership.ts';
import type { NodePool } from '../../../../src/resources/types.ts';
import { makeNode, makePool } from '../../../support/builders.ts';

const byLabel = (name: string, created: number, label: string, deleting?: number): NodePool =>
  makePool({
    name,
    created,
    ...(deleting !== undefined ? { deleting } : {}),
    spec: { nodeSelector: { matchExpressions: [{ key: label, operator: 'Exists' }] } },
  });

const nodes = [
  makeNode('n1', { labels: { ci: '' } }),
  makeNode('n2', { labels: { ci: '', gpu: '' } }),
  makeNode('n3', { labels: { gpu: '' } }),
  makeNode('n4'),
];

test('a node belongs to the oldest pool that matches it', () => {
  const ci = byLabel('ci', 0, 'ci');
  const gpu = byLabel('gpu', 100, 'gpu');
  const pools = [gpu, ci];
  assert.deepEqual(
    livePools(pools).map((p) => p.metadata.name),
    ['ci', 'gpu'],
  );
  const cases: { pool: NodePool; members: string[]; claimed: { node: string; pool: string }[] }[] = [
    { pool: ci, members: ['n1', 'n2'], claimed: [] },
    { pool: gpu, members: ['n3'], claimed: [{ node: 'n2', pool: 'ci' }] },
  ];
  for (const c of cases) {
    const m = membership(c.pool, nodes, pools);
    assert.deepEqual(
      m.members.map((n) => n.metadata?.name),
      c.members,
      c.pool.metadata.name,
    );
    assert.deepEqual(m.claimedByOthers, c.claimed, c.pool.metadata.name);
  }
  assert.equal(owningPool(nodes[3] ?? makeNode('x'), livePools(pools)), undefined);
});

test('pools created in the same second: the name decides', () => {
  const b = byLabel('b', 0, 'ci');
  const a = byLabel('a', 0, 'ci');
  assert.deepEqual(
    membership(a, nodes, [b, a]).members.map((n) => n.metadata?.name),
    ['n1', 'n2'],
  );
  assert.deepEqual(membership(b, nodes, [b, a]).members, []);
  assert.deepEqual(
    membership(b, nodes, [b, a]).claimedByOthers.map((c) => c.pool),
    ['a', 'a'],
  );
});

test('a pool being deleted owns nothing, and its nodes go to the next pool', () => {
  const old = byLabel('old', 0, 'ci', 500);
  const next = byLabel('next', 100, 'ci');
  assert.deepEqual(membership(old, nodes, [old, next]), { members: [], claimedByOthers: [] });
  assert.deepEqual(
    membership(next, nodes, [old, next]).members.map((n) => n.metadata?.name),
    ['n1', 'n2'],
  );
  assert.deepEqual(
    livePools([old, next]).map((p) => p.metadata.name),
    ['next'],
  );
});

test('isReadyNode: Ready=True and schedulable', () => {
  assert.equal(isReadyNode(makeNode('a')), true);
  assert.equal(isReadyNode(makeNode('a', { ready: false })), false);
  assert.equal(isReadyNode(makeNode('a', { unschedulable: true })), false);
  assert.equal(isReadyNode({ metadata: { name: 'bare' } }), false);
});
