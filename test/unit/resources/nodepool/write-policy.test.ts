// When a pool's status is written: counts at most once a second, everything else at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  countsWriteIntervalMs,
  decidePoolStatusWrite,
} from '../../../../src/resources/nodepool/write-policy.ts';
import type { Condition, NodePoolStatus } from '../../../../src/resources/types.ts';

const ready: Condition = {
  type: 'Ready',
  status: 'True',
  reason: 'NodesReady',
  message: '50 of 50 nodes are ready',
  observedGeneration: 1,
  lastTransitionTime: '2026-11-27T20:32:57Z',
};
const base: NodePoolStatus = {
  nodes: 50,
  readyNodes: 50,
  runningRuns: 3,
  queuedRuns: 0,
  capacity: 5497,
  observedGeneration: 1,
  conditions: [ready],
};

/** The same status as the API server returns it: every object's fields in alphabetical order. */
function serverOrdered<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
    ),
  ) as T;
}

test('pool status writes: counts are throttled, other changes go out at once', () => {
  const now = 100_000;
  const recent = now - countsWriteIntervalMs / 2;
  const cases: {
    name: string;
    old: NodePoolStatus;
    next: NodePoolStatus;
    lastWriteAt: number | undefined;
    want: ReturnType<typeof decidePoolStatusWrite>;
  }[] = [
    { name: 'nothing changed', old: base, next: { ...base }, lastWriteAt: recent, want: { write: false } },
    {
      name: 'nothing changed, fields in the server order',
      old: serverOrdered(base),
      next: base,
      lastWriteAt: undefined,
      want: { write: false },
    },
    {
      name: 'a count moved soon after a write',
      old: serverOrdered(base),
      next: { ...base, runningRuns: 4, capacity: 5496 },
      lastWriteAt: recent,
      want: { write: false, retryAfterMs: countsWriteIntervalMs / 2 },
    },
    {
      name: 'a count moved a second after a write',
      old: base,
      next: { ...base, queuedRuns: 9 },
      lastWriteAt: now - countsWriteIntervalMs,
      want: { write: true },
    },
    {
      name: 'a count moved and nothing was written since the start',
      old: base,
      next: { ...base, runningRuns: 4 },
      lastWriteAt: undefined,
      want: { write: true },
    },
    {
      name: 'a node left',
      old: base,
      next: { ...base, nodes: 49, readyNodes: 49 },
      lastWriteAt: recent,
      want: { write: true },
    },
    {
      name: 'the spec changed',
      old: base,
      next: { ...base, observedGeneration: 2 },
      lastWriteAt: recent,
      want: { write: true },
    },
    {
      name: 'a condition changed',
      old: base,
      next: { ...base, conditions: [{ ...ready, status: 'False', reason: 'NoReadyNodes' }] },
      lastWriteAt: recent,
      want: { write: true },
    },
  ];
  for (const c of cases) {
    assert.deepEqual(decidePoolStatusWrite(c.old, c.next, now, c.lastWriteAt), c.want, c.name);
  }
});
