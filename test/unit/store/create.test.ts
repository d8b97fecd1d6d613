import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOptions } from '../../../src/config/options.ts';
import { createObjectStore } from '../../../src/store/create.ts';
import { S3Store } from '../../../src/store/s3-store.ts';

const options = (env: Record<string, string>) =>
  parseOptions([], env, { isTTY: false, hostname: 'h' }).options;

test('no bucket, no store: Furrow runs without one', () => {
  assert.equal(createObjectStore(options({})), undefined);
  assert.equal(createObjectStore(options({ FURROW_OBJECT_STORE_BUCKET: '' })), undefined);
});

test('a bucket makes an S3 store on it, with or without an endpoint (AWS S3)', () => {
  const local = createObjectStore(
    options({ FURROW_OBJECT_STORE_BUCKET: 'furrow', FURROW_OBJECT_STORE_ENDPOINT: 'http://127.0.0.1:19100' }),
  );
  assert.ok(local instanceof S3Store);
  assert.equal(local.bucket, 'furrow');
  local.destroy();
  const aws = createObjectStore(options({ FURROW_OBJECT_STORE_BUCKET: 'ci-logs' }));
  assert.ok(aws instanceof S3Store);
  aws.destroy();
});
