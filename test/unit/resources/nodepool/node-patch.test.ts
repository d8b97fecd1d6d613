// The patch that keeps a pool's labels and taints on a node, and removes exactly what Furrow
// added when the node leaves. Each patch is applied as the API server applies a merge patch,
// then computed again: a node that has what it should gets no patch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Taint } from '../../../../src/kube/json.ts';
import {
  managedAnnotation,
  nodePatch,
  readRecord,
  type NodePatch,
} from '../../../../src/resources/nodepool/node-patch.ts';
import type { NodePool } from '../../../../src/resources/types.ts';
import { makeNode, makePool } from '../../../support/builders.ts';

/** A JSON merge patch as the API server applies it, with the resourceVersion precondition. */
function apply(node: Node, { patch }: NodePatch): Node {
  const next = structuredClone(node);
  const meta = (next.metadata ??= {});
  if (patch.metadata.resourceVersion !== undefined)
    assert.equal(
      patch.metadata.resourceVersion,
      meta.resourceVersion,
      'conflict: the node changed meanwhile',
    );
  const merge = (into: Record<string, string> | undefined, changes: Record<string, string | null>) =>
    Object.fromEntries(
      Object.entries({ ...into, ...changes }).filter((entry): entry is [string, string] => entry[1] !== null),
    );
  if (patch.metadata.labels) meta.labels = merge(meta.labels, patch.metadata.labels);
  meta.annotations = merge(meta.annotations, patch.metadata.annotations);
  if (patch.spec) next.spec = { ...next.spec, taints: patch.spec.taints };
  meta.resourceVersion = String(Number(meta.resourceVersion ?? '0') + 1);
  return next;
}

/** Patches `node` for `owner` and checks the result is stable. */
function settle(node: Node, owner: NodePool | undefined): { node: Node; patch: NodePatch | undefined } {
  const patch = nodePatch(node, owner);
  if (!patch) return { node, patch };
  const next = apply(node, patch);
  assert.equal(nodePatch(next, owner), undefined, `not idempotent after: ${patch.summary}`);
  return { node: next, patch };
}

const taintKeys = (node: Node) =>
  (node.spec?.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`);
const furrowLabels = (node: Node) =>
  Object.fromEntries(
    Object.entries(node.metadata?.labels ?? {}).filter(([k]) => k.startsWith('furrow.dev/')),
  );

const peasant = makePool({ name: 'peasant', spec: { labels: { 'furrow.dev/tier': 'ci' } } });
const gpu = makePool({
  name: 'gpu',
  spec: { taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }] },
});
const untainted = makePool({ name: 'open', spec: { taints: [] } });
const adminTaint: Taint = { key: 'dedicated', value: 'ci', effect: 'NoSchedule' };
const fresh = makeNode('n1', {
  labels: { team: 'infra', 'furrow.dev/class': 'peasant' },
  taints: [adminTaint],
});

test('joining a pool: its labels and taint added and recorded; the taint list on the version it was read from', () => {
  const patch = nodePatch(fresh, peasant);
  assert.deepEqual(patch?.patch, {
    metadata: {
      labels: { 'furrow.dev/tier': 'ci', 'furrow.dev/pool': 'peasant' },
      annotations: {
        [managedAnnotation]: JSON.stringify({
          pool: 'peasant',
          labels: { 'furrow.dev/tier': 'ci', 'furrow.dev/pool': 'peasant' },
          taints: [{ key: 'furrow.dev/pool', value: 'peasant', effect: 'NoSchedule' }],
        }),
      },
      resourceVersion: '7',
    },
    spec: { taints: [adminTaint, { key: 'furrow.dev/pool', value: 'peasant', effect: 'NoSchedule' }] },
  });
  assert.equal(
    patch?.summary,
    'label furrow.dev/tier=ci, label furrow.dev/pool=peasant, taint furrow.dev/pool=peasant:NoSchedule',
  );
  const { node } = settle(fresh, peasant);
  assert.equal(node.metadata?.labels?.team, 'infra');
  assert.deepEqual(readRecord(node)?.pool, 'peasant');
});

test('leaving the pool removes exactly what was recorded', () => {
  const joined = settle(fresh, peasant).node;
  const { node, patch } = settle(joined, undefined);
  assert.deepEqual(patch?.patch.metadata.labels, { 'furrow.dev/tier': null, 'furrow.dev/pool': null });
  assert.equal(patch?.patch.metadata.annotations[managedAnnotation], null);
  assert.equal(patch?.patch.metadata.resourceVersion, joined.metadata?.resourceVersion);
  assert.deepEqual(node.metadata?.labels, fresh.metadata?.labels);
  assert.deepEqual(node.spec?.taints, fresh.spec?.taints);
  assert.equal(node.metadata?.annotations?.[managedAnnotation], undefined);
});

test('what was there before is never recorded, so never removed', () => {
  // An admin put the pool's taint and one of its labels there first.
  const prepared = makeNode('n1', {
    labels: { 'furrow.dev/tier': 'ci' },
    taints: [{ key: 'furrow.dev/pool', value: 'peasant', effect: 'NoSchedule' }],
  });
  const { node: joined, patch } = settle(prepared, peasant);
  assert.deepEqual(patch?.patch.metadata.labels, { 'furrow.dev/pool': 'peasant' });
  assert.equal(patch?.patch.spec, undefined, 'taints untouched');
  assert.equal(patch?.patch.metadata.resourceVersion, undefined, 'no precondition without a taint change');
  assert.deepEqual(readRecord(joined), {
    pool: 'peasant',
    labels: { 'furrow.dev/pool': 'peasant' },
    taints: [],
  });
  const left = settle(joined, undefined).node;
  assert.deepEqual(left.metadata?.labels, { ...prepared.metadata?.labels });
  assert.deepEqual(taintKeys(left), ['furrow.dev/pool=peasant:NoSchedule']);
});

test('a recorded label someone else changed since is theirs: left alone', () => {
  const joined = settle(fresh, peasant).node;
  const edited = structuredClone(joined);
  (edited.metadata ??= {}).labels = { ...edited.metadata.labels, 'furrow.dev/tier': 'gold' };
  const left = settle(edited, undefined).node;
  assert.deepEqual(furrowLabels(left), { 'furrow.dev/tier': 'gold', 'furrow.dev/class': 'peasant' });
});

test('changing pools swaps labels and taints', () => {
  const joined = settle(fresh, peasant).node;
  const { node, patch } = settle(joined, gpu);
  assert.deepEqual(patch?.patch.metadata.labels, { 'furrow.dev/pool': 'gpu', 'furrow.dev/tier': null });
  assert.deepEqual(furrowLabels(node), { 'furrow.dev/pool': 'gpu', 'furrow.dev/class': 'peasant' });
  assert.deepEqual(taintKeys(node), ['dedicated=ci:NoSchedule', 'nvidia.com/gpu=true:NoSchedule']);
  assert.deepEqual(readRecord(node), {
    pool: 'gpu',
    labels: { 'furrow.dev/pool': 'gpu' },
    taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }],
  });
});

test('a pool with taints: [] adds only its label; no taint change, no precondition', () => {
  const { node, patch } = settle(fresh, untainted);
  assert.equal(patch?.patch.spec, undefined);
  assert.equal(patch?.patch.metadata.resourceVersion, undefined);
  assert.deepEqual(taintKeys(node), ['dedicated=ci:NoSchedule']);
  assert.deepEqual(readRecord(node)?.taints, []);
});

test('a pool’s taint changing value or effect replaces the one Furrow added', () => {
  const joined = settle(fresh, peasant).node;
  const cases: { name: string; taints: NonNullable<NodePool['spec']['taints']>; want: string[] }[] = [
    {
      name: 'new value, same key and effect: replaced in place',
      taints: [{ key: 'furrow.dev/pool', value: 'other', effect: 'NoSchedule' }],
      want: ['dedicated=ci:NoSchedule', 'furrow.dev/pool=other:NoSchedule'],
    },
    {
      name: 'new effect: added, the old one removed',
      taints: [{ key: 'furrow.dev/pool', value: 'peasant', effect: 'NoExecute' }],
      want: ['dedicated=ci:NoSchedule', 'furrow.dev/pool=peasant:NoExecute'],
    },
  ];
  for (const c of cases) {
    const changed = makePool({
      name: 'peasant',
      spec: { labels: { 'furrow.dev/tier': 'ci' }, taints: c.taints },
    });
    const { node, patch } = settle(joined, changed);
    assert.ok(patch?.patch.metadata.resourceVersion, c.name);
    assert.deepEqual(taintKeys(node), c.want, c.name);
    assert.deepEqual(
      taintKeys(settle(node, undefined).node),
      ['dedicated=ci:NoSchedule'],
      `${c.name}: then leaving`,
    );
  }
});

test('nothing to do: no patch', () => {
  assert.equal(nodePatch(fresh, undefined), undefined, 'a node Furrow never touched, in no pool');
  assert.equal(nodePatch(settle(fresh, peasant).node, peasant), undefined);
});

test('an unreadable record is no record: nothing is removed on its say-so', () => {
  const node = makeNode('n1', {
    labels: { 'furrow.dev/pool': 'peasant' },
    annotations: { [managedAnnotation]: '{not json' },
  });
  assert.equal(readRecord(node), undefined);
  const patch = nodePatch(node, undefined);
  assert.deepEqual(patch?.patch.metadata, { annotations: { [managedAnnotation]: null } });
  assert.equal(patch?.summary, 'bookkeeping');
});

test('a node going through pools and back keeps what it had of its own', () => {
  let node = fresh;
  for (const owner of [peasant, gpu, undefined, untainted, peasant, peasant, undefined]) {
    node = settle(node, owner).node;
    assert.equal(node.metadata?.labels?.team, 'infra');
    assert.ok(taintKeys(node).includes('dedicated=ci:NoSchedule'));
    if (owner) assert.equal(node.metadata?.labels?.['furrow.dev/pool'], owner.metadata.name);
  }
  assert.deepEqual(node.metadata?.labels, fresh.metadata?.labels);
  assert.deepEqual(node.spec?.taints, fresh.spec?.taints);
  assert.equal(node.metadata?.annotations?.[managedAnnotation], undefined);
});
