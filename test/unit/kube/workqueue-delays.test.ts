// Delays beyond what a Node timer holds: setTimeout turns any delay over 2^31-1 ms (24.8 days)
// into 1 ms. A finished run kept 30 days by its TTL (or --default-ttl 720h) asks to be looked
// at again in 30 days; the queue must not hand it back every millisecond.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from '../../../src/kube/workqueue.ts';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a key added after 30 days is not handed out after 1 ms', async () => {
  const q = new WorkQueue({ baseMs: 5, maxMs: 50 });
  q.addAfter('kept-30-days', 30 * 24 * 3600 * 1000);
  q.addAfter('kept-a-year', 365 * 24 * 3600 * 1000);
  await tick(50);
  assert.equal(q.length, 0);
  q.shutDown();
});

test('a shorter delay for the same key still wins over a very long one', async () => {
  const q = new WorkQueue({ baseMs: 5, maxMs: 50 });
  q.addAfter('a', 30 * 24 * 3600 * 1000);
  q.addAfter('a', 10);
  await tick(60);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'a');
  q.shutDown();
});
