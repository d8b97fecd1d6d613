// The controller loop: one reconcile per key at a time, errors retried with backoff (or after the
// server's Retry-After), requeueAfterMs honoured, TerminalError not retried, keys ignored while
// stopped, and stop() waiting for in-flight reconciles up to its deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { Controller, TerminalError, type Reconcile } from '../../../src/kube/controller.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function controller(reconcile: Reconcile, workers = 2) {
  const metrics = new Metrics();
  const c = new Controller({
    name: 'test',
    reconcile,
    workers,
    backoff: { baseMs: 5, maxMs: 20 },
    logger: silentLogger(),
    metrics,
  });
  const count = async (result: string) =>
    (await metrics.reconciles.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { c, count };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await tick(2);
  }
}

test('keys enqueued before start are ignored; after start each is reconciled', async () => {
  const seen: string[] = [];
  const { c, count } = controller((key) => {
    seen.push(key);
    return Promise.resolve(undefined);
  });
  c.enqueue('early');
  c.start();
  c.enqueue('a');
  c.enqueue('b');
  await until(() => seen.length === 2);
  assert.deepEqual(seen.sort(), ['a', 'b']);
  assert.equal(await count('success'), 2);
  assert.equal(await c.stop(1000), true);
});

test('a failing reconcile is retried with backoff, its retries counted', async () => {
  const retries: number[] = [];
  const { c, count } = controller((_key, ctx) => {
    retries.push(ctx.retries);
    return retries.length < 3 ? Promise.reject(new Error('boom')) : Promise.resolve(undefined);
  });
  c.start();
  c.enqueue('a');
  await until(() => retries.length === 3);
  assert.deepEqual(retries, [0, 1, 2]);
  assert.equal(await count('error'), 2);
  await c.stop(1000);
});

test('the server’s Retry-After is honoured instead of the backoff', async () => {
  const times: number[] = [];
  const { c } = controller(() => {
    times.push(Date.now());
    if (times.length > 1) return Promise.resolve(undefined);
    return Promise.reject(new ApiException(429, 'slow down', '', { 'retry-after': '0.2' }));
  });
  c.start();
  c.enqueue('a');
  await until(() => times.length === 2);
  const gap = (times[1] ?? 0) - (times[0] ?? 0);
  assert.ok(gap >= 150, `retried after ${gap} ms`);
  await c.stop(1000);
});

test('a TerminalError is not retried', async () => {
  let calls = 0;
  const { c, count } = controller(() => {
    calls++;
    return Promise.reject(new TerminalError('this spec can never work'));
  });
  c.start();
  c.enqueue('a');
  await until(() => calls === 1);
  await tick(100);
  assert.equal(calls, 1);
  assert.equal(await count('error'), 1);
  assert.equal(c.workQueue.retries('a'), 0);
  await c.stop(1000);
});

test('requeueAfterMs brings the key back', async () => {
  let calls = 0;
  const { c, count } = controller(() => {
    calls++;
    return Promise.resolve(calls === 1 ? { requeueAfterMs: 10 } : undefined);
  });
  c.start();
  c.enqueue('a');
  await until(() => calls === 2);
  assert.equal(await count('requeue'), 1);
  await c.stop(1000);
});

test('one reconcile per key at a time, however many workers', async () => {
  let active = 0;
  let most = 0;
  let calls = 0;
  const { c } = controller(async () => {
    active++;
    most = Math.max(most, active);
    calls++;
    await tick(20);
    active--;
    return undefined;
  }, 4);
  c.start();
  c.enqueue('a');
  await tick(5);
  c.enqueue('a');
  c.enqueue('a');
  await until(() => calls === 2);
  assert.equal(most, 1);
  await c.stop(1000);
});

test('stop waits for in-flight reconciles, up to its deadline', async () => {
  let release: () => void = () => undefined;
  const { c } = controller(() => new Promise((resolve) => (release = () => resolve(undefined))));
  c.start();
  c.enqueue('a');
  await tick(5);
  assert.equal(await c.stop(30), false, 'the reconcile is still running');
  assert.ok(!c.isRunning());
  release();
  c.start();
  assert.equal(await c.stop(1000), true, 'nothing in flight');
});
