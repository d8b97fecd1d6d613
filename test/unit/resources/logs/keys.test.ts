import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  containerLogKey,
  manifestKey,
  parseLogKey,
  stripTimestamp,
} from '../../../../src/resources/logs/keys.ts';

const run = { namespace: 'ci', name: 'build', uid: '0d1e' };

test('keys carry the uid, and parse back', () => {
  const key = containerLogKey(run, 2, 3, 'test');
  assert.equal(key, 'logs/v1/ci/build/0d1e/attempt-2/03-test.log');
  assert.equal(manifestKey(run, 2), 'logs/v1/ci/build/0d1e/attempt-2/manifest.json');
  assert.deepEqual(parseLogKey(key), { ...run, attempt: 2, file: '03-test.log' });
  assert.equal(parseLogKey('caches/ci/x'), undefined);
  assert.equal(parseLogKey('logs/v1/ci/build/0d1e/attempt-x/m.json'), undefined);
});

test('stripTimestamp takes off only an RFC 3339 prefix', () => {
  assert.equal(stripTimestamp('2026-12-02T15:49:34.123456789Z hello world'), 'hello world');
  assert.equal(stripTimestamp('2026-12-02T15:49:34.123456789+01:00 x'), 'x');
  assert.equal(stripTimestamp('2026-12-02T15:49:34Z '), '');
  assert.equal(stripTimestamp('not a time at all'), 'not a time at all');
  assert.equal(stripTimestamp(''), '');
});
