import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from '../../../src/kube/token-bucket.ts';

test('a token bucket lets a burst through, then paces at qps', async () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  const started = performance.now();
  await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
  assert.ok(performance.now() - started < 50, 'the burst passes at once');
  // Fourth token: 1/10 s away on the bucket's clock.
  const waited = performance.now();
  await bucket.take();
  assert.ok(performance.now() - waited >= 90, 'the next token waits for the refill');
  now += 1000; // a second later the bucket is full again, but never above burst
  await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
});

test('a token bucket refuses nonsense limits', () => {
  assert.throws(() => new TokenBucket(0, 1), /qps > 0/);
  assert.throws(() => new TokenBucket(5, 0), /burst >= 1/);
});
