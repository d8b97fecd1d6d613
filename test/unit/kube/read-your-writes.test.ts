import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNewer, RecentCreates, RecentWrites } from '../../../src/kube/read-your-writes.ts';

const obj = (name: string, rv: string) => ({ metadata: { name, resourceVersion: rv } });

test('isNewer compares resourceVersions as the integers they are, and never trusts anything else', () => {
  assert.equal(isNewer('10', '9'), true);
  assert.equal(isNewer('9', '10'), false);
  assert.equal(isNewer('10', '10'), false);
  assert.equal(isNewer('123456789012345678901', '123456789012345678900'), true);
  assert.equal(isNewer('abc', '9'), false);
  assert.equal(isNewer('10', undefined), true);
  assert.equal(isNewer(undefined, '9'), false);
});

test('a write is read back until the cache has it, then the cache wins', () => {
  const writes = new RecentWrites<ReturnType<typeof obj>>();
  writes.remember('ns/a', obj('a', '12'));
  assert.equal(writes.resolve('ns/a', obj('a', '11'))?.metadata.resourceVersion, '12', 'stale cache: ours');
  assert.equal(writes.resolve('ns/a', obj('a', '12'))?.metadata.resourceVersion, '12', 'caught up');
  assert.equal(writes.size, 0, 'forgotten once caught up');
  writes.remember('ns/a', obj('a', '12'));
  assert.equal(
    writes.resolve('ns/a', obj('a', '15'))?.metadata.resourceVersion,
    '15',
    'someone wrote after us',
  );
  writes.remember('ns/a', obj('a', '20'));
  assert.equal(writes.resolve('ns/a', undefined), undefined, 'deleted: not resurrected');
});

test('created objects are listed until the cache lists them', () => {
  const created = new RecentCreates<ReturnType<typeof obj>>();
  created.remember('uid-1', obj('run-1', '5'));
  assert.deepEqual(
    created.merge('uid-1', []).map((o) => o.metadata.name),
    ['run-1'],
  );
  assert.deepEqual(created.merge('uid-2', []), []);
  assert.deepEqual(
    created.merge('uid-1', [obj('run-1', '6')]).map((o) => o.metadata.resourceVersion),
    ['6'],
  );
  assert.deepEqual(created.merge('uid-1', []), [], 'forgotten once the cache had it');
});
