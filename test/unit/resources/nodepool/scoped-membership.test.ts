// Two installs in one cluster (--pool-selector): each sees only its pools, and a node already
// recorded for a pool it can't see belongs to the install that took it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foreignPool, membership } from '../../../../src/resources/nodepool/membership.ts';
import { managedAnnotation } from '../../../../src/resources/nodepool/node-patch.ts';
import { makeNode, makePool } from '../../../support/builders.ts';

const record = (pool: string) => ({
  [managedAnnotation]: JSON.stringify({ pool, labels: { 'furrow.dev/pool': pool }, taints: [] }),
});
const mine = makePool({ name: 'ours', spec: { nodeSelector: { matchLabels: { class: 'ci' } } } });
const free = makeNode('free', { labels: { class: 'ci' } });
const taken = makeNode('taken', { labels: { class: 'ci' }, annotations: record('theirs') });
const ownRecord = makeNode('own', { labels: { class: 'ci' }, annotations: record('ours') });

test('a node recorded for a pool this operator can’t see is foreign; its own pools’ nodes are not', () => {
  assert.equal(foreignPool(taken, [mine]), 'theirs');
  assert.equal(foreignPool(ownRecord, [mine]), undefined);
  assert.equal(foreignPool(free, [mine]), undefined);
});

test('scoped, a pool takes free nodes and its own, and reports nodes another install holds', () => {
  const m = membership(mine, [free, taken, ownRecord], [mine], true);
  assert.deepEqual(
    m.members.map((n) => n.metadata?.name),
    ['free', 'own'],
  );
  assert.deepEqual(m.claimedByOthers, [{ node: 'taken', pool: 'theirs' }]);
});

test('unscoped (the default), a record of an unknown pool is a deleted pool’s: the node is free', () => {
  const m = membership(mine, [free, taken, ownRecord], [mine]);
  assert.deepEqual(
    m.members.map((n) => n.metadata?.name),
    ['free', 'taken', 'own'],
  );
  assert.deepEqual(m.claimedByOthers, []);
});
