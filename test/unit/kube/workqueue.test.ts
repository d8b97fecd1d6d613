import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkQueue } from '../../../src/kube/workqueue.ts';

const fast = { baseMs: 5, maxMs: 50 };
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('adds of a queued key coalesce into one', async () => {
  const q = new WorkQueue(fast);
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.length, 0);
});

test('a key being processed is not handed out again until done, then once more', async () => {
  const q = new WorkQueue(fast);
  q.add('a');
  assert.equal(await q.get(), 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.length, 0, 'not queued while processing');
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await tick();
  assert.equal(second, undefined, 'a second worker does not get it');
  q.done('a');
  await tick();
  assert.equal(second, 'a', 'requeued once after done');
  q.done('a');
  assert.equal(q.length, 0);
});

test('waiting workers are served in order as keys arrive', async () => {
  const q = new WorkQueue(fast);
  const got = Promise.all([q.get(), q.get()]);
  q.add('x');
  q.add('y');
  assert.deepEqual(await got, ['x', 'y']);
});

test('addAfter delivers later, and the earliest of two delays wins', async () => {
  const q = new WorkQueue(fast);
  q.addAfter('k', 200);
  q.addAfter('k', 20);
  q.addAfter('k', 500);
  assert.equal(q.length, 0);
  await tick(60);
  assert.equal(q.length, 1);
  assert.equal(await q.get(), 'k');
  q.done('k');
  await tick(250);
  assert.equal(q.length, 0, 'the later timers were dropped');
});

test('rate-limited adds back off per key until forget', async () => {
  const q = new WorkQueue({ baseMs: 10, maxMs: 1000 });
  q.addRateLimited('k');
  q.addRateLimited('k');
  q.addRateLimited('k');
  assert.equal(q.retries('k'), 3);
  q.forget('k');
  assert.equal(q.retries('k'), 0);
  await tick(30);
  assert.equal(await q.get(), 'k');
});

test('shutDown releases waiting workers and drops delayed keys', async () => {
  const q = new WorkQueue(fast);
  const waiting = q.get();
  q.addAfter('later', 10);
  q.shutDown();
  assert.equal(await waiting, undefined);
  await tick(30);
  assert.equal(q.length, 0);
  q.add('after-shutdown');
  assert.equal(await q.get(), undefined);
});

test('the observer sees adds, depth and wait time', async () => {
  const seen = { added: 0, depth: [] as number[], waited: 0 };
  const q = new WorkQueue(fast, {
    added: () => seen.added++,
    depth: (n) => seen.depth.push(n),
    waited: () => seen.waited++,
  });
  q.add('a');
  q.add('a');
  q.add('b');
  await q.get();
  assert.equal(seen.added, 2);
  assert.equal(seen.waited, 1);
  assert.deepEqual(seen.depth, [1, 2, 1]);
});
