import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../../src/kube/backoff.ts';

test('backoffDelay doubles from the base up to the cap', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  const cases: [number, number][] = [
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [50, 1000],
    [5000, 1000],
  ];
  for (const [failures, expected] of cases)
    assert.equal(backoffDelay(failures, policy), expected, `failures=${failures}`);
});

test('backoffDelay jitters within ±jitter and never above the cap', () => {
  const policy = { baseMs: 1000, maxMs: 1500, jitter: 0.2 };
  assert.equal(
    backoffDelay(1, policy, () => 0),
    800,
  );
  assert.equal(
    backoffDelay(1, policy, () => 1),
    1200,
  );
  assert.equal(
    backoffDelay(1, policy, () => 0.5),
    1000,
  );
  assert.equal(
    backoffDelay(3, policy, () => 1),
    1500,
  );
});
