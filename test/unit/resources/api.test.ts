// The API's vocabulary: metav1.Condition bookkeeping, status timestamps, which run owns a pod,
// dropping undefined fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../src/kube/json.ts';
import {
  controllingRunUid,
  defined,
  formatTime,
  getCondition,
  ownerRunKey,
  parseTime,
  runOwnerReference,
  setCondition,
} from '../../../src/resources/api.ts';
import { at, iso, makeRun } from '../../support/builders.ts';

test('setCondition: lastTransitionTime moves only when the status does', () => {
  const first = setCondition(
    undefined,
    { type: 'Ready', status: 'False', reason: 'NoNodes', message: 'none' },
    1,
    at(0),
  );
  assert.deepEqual(first, [
    {
      type: 'Ready',
      status: 'False',
      reason: 'NoNodes',
      message: 'none',
      observedGeneration: 1,
      lastTransitionTime: iso(0),
    },
  ]);
  const sameStatus = setCondition(
    first,
    { type: 'Ready', status: 'False', reason: 'NoReadyNodes', message: 'x' },
    2,
    at(10),
  );
  assert.deepEqual(getCondition(sameStatus, 'Ready'), {
    type: 'Ready',
    status: 'False',
    reason: 'NoReadyNodes',
    message: 'x',
    observedGeneration: 2,
    lastTransitionTime: iso(0),
  });
  const flipped = setCondition(
    sameStatus,
    { type: 'Ready', status: 'True', reason: 'NodesReady', message: 'y' },
    2,
    at(20),
  );
  assert.equal(getCondition(flipped, 'Ready')?.lastTransitionTime, iso(20));
});

test('setCondition keeps the others and their order, and doesn’t modify its argument', () => {
  const list = [
    { type: 'A', status: 'True' as const, reason: 'R', message: '', lastTransitionTime: iso(0) },
    { type: 'B', status: 'True' as const, reason: 'R', message: '', lastTransitionTime: iso(0) },
  ];
  const before = structuredClone(list);
  const next = setCondition(list, { type: 'A', status: 'False', reason: 'S', message: 'm' }, 1, at(5));
  assert.deepEqual(list, before);
  assert.deepEqual(
    next.map((c) => `${c.type}=${c.status}`),
    ['A=False', 'B=True'],
  );
  assert.deepEqual(
    setCondition(list, { type: 'C', status: 'Unknown', reason: 'U', message: '' }, 1, at(5)).map(
      (c) => c.type,
    ),
    ['A', 'B', 'C'],
  );
  assert.equal(getCondition(list, 'Z'), undefined);
});

test('times are whole seconds in RFC 3339, and read back', () => {
  assert.equal(formatTime(Date.parse('2025-06-02T10:00:05.999Z')), '2025-06-02T10:00:05Z');
  assert.equal(parseTime('2025-06-02T10:00:05Z'), at(5));
  assert.equal(parseTime(undefined), undefined);
  assert.equal(parseTime('yesterday'), undefined);
  assert.equal(formatTime(parseTime(iso(42)) ?? 0), iso(42));
});

test('which run owns a pod: only a controlling PipelineRun owner counts', () => {
  const reference = runOwnerReference(makeRun({ name: 'app', namespace: 'ci', uid: 'u-1' }));
  const owned: Pod = { metadata: { namespace: 'ci', ownerReferences: [reference] } };
  assert.deepEqual(controllingRunUid(owned), ['u-1']);
  assert.equal(ownerRunKey(owned), 'ci/app');
  for (const ownerReferences of [
    [],
    [{ ...reference, controller: false }],
    [{ ...reference, kind: 'Job' }],
  ]) {
    const pod: Pod = { metadata: { namespace: 'ci', ownerReferences } };
    assert.deepEqual(controllingRunUid(pod), [], JSON.stringify(ownerReferences));
    assert.equal(ownerRunKey(pod), undefined, JSON.stringify(ownerReferences));
  }
});

test('defined drops undefined fields only', () => {
  assert.deepEqual(defined({ a: undefined, b: null, c: 0, d: '', e: false }), {
    b: null,
    c: 0,
    d: '',
    e: false,
  });
});
