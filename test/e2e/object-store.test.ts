// The object store client (src/store/s3-store.ts) against the local cluster's real S3 server
// (versitygw, test/cluster/up.d/60-object-store.sh): bytes in equal bytes out, 200 MB streamed
// in bounded memory, listing past one page, deletes in batches, an aborted upload leaving
// nothing behind, and each kind of failure classified as the archiver will act on it: the
// server stopped, a wrong secret, a missing bucket.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { test, type TestContext } from 'node:test';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { StoreError, type StoreErrorKind } from '../../src/store/errors.ts';
import type { S3Store } from '../../src/store/s3-store.ts';
import { suffix } from '../support/kube.ts';
import {
  localObjectStore,
  localS3Store,
  requireLocalObjectStore,
  startObjectStore,
  stopObjectStore,
} from '../support/object-store.ts';

const MiB = 1024 * 1024;

// A full collection on demand (the test runner gives no --expose-gc), so that a baseline isn't
// lowered or raised by whatever garbage earlier tests left.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** A store for one test, its keys under a prefix of their own, deleted afterwards. */
function storeFor(t: TestContext): { store: S3Store; prefix: string } {
  const store = localS3Store();
  const prefix = `e2e-object-store/${suffix()}/`;
  t.after(async () => {
    await store.delete(await keysUnder(store, prefix));
    store.destroy();
  });
  return { store, prefix };
}

async function keysUnder(store: S3Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

/** `total` bytes in `chunk`-sized pieces that differ from each other, and their sha256. */
function generated(total: number, chunk = 256 * 1024): { stream: Readable; sha256: () => string } {
  const block = randomBytes(chunk);
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const piece = Buffer.from(block.subarray(0, Math.min(chunk, total - sent)));
      piece.writeUInt32BE(sent / chunk, 0);
      hash.update(piece);
      sent += piece.length;
      this.push(piece);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function sha256Of(stream: Readable | undefined): Promise<{ sha256: string; bytes: number }> {
  assert.ok(stream, 'the object exists');
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function failsWith(promise: Promise<unknown>, kind: StoreErrorKind, what: string): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `${what}: a StoreError, got ${String(err)}`);
    assert.equal(err.kind, kind, `${what}: ${err.message}`);
    return err;
  }
  assert.fail(`${what} succeeded`);
}

// First in the file, so that its baseline is this process before other tests' buffers: an
// allocator keeps freed memory, and a put reusing it would show no RSS growth at all.
test('200 MB streams to the store without being held in memory', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const { store, prefix } = storeFor(t);
  const total = 200 * MiB;
  const { stream, sha256 } = generated(total, 64 * 1024);
  collectGarbage();
  const rssBefore = process.memoryUsage.rss();
  const buffersBefore = process.memoryUsage().arrayBuffers;
  let rssPeak = rssBefore;
  let buffersPeak = buffersBefore;
  // Sampled after a collection: what the upload holds, not the garbage it left for V8 to collect
  // whenever it gets round to it (without this, the RSS peak is 70-100 MiB higher, still bounded).
  const sample = () => {
    collectGarbage();
    const usage = process.memoryUsage();
    rssPeak = Math.max(rssPeak, usage.rss);
    buffersPeak = Math.max(buffersPeak, usage.arrayBuffers);
  };
  const sampler = setInterval(sample, 50);
  const started = Date.now();
  let put;
  try {
    put = await store.put(`${prefix}200mb.log`, stream);
  } finally {
    clearInterval(sampler);
  }
  sample();
  const seconds = (Date.now() - started) / 1000;
  const rssGrowth = (rssPeak - rssBefore) / MiB;
  const buffersGrowth = (buffersPeak - buffersBefore) / MiB;
  const measured = `RSS ${Math.round(rssBefore / MiB)} -> peak ${Math.round(rssPeak / MiB)} MiB (+${rssGrowth.toFixed(1)} MiB), live buffers +${buffersGrowth.toFixed(1)} MiB at most`;
  t.diagnostic(`200 MiB put in ${seconds.toFixed(1)} s; ${measured}`);
  console.log(`object-store: 200 MiB put in ${seconds.toFixed(1)} s; ${measured}`);
  assert.equal(put.bytes, total);
  // Held in memory, 200 MiB would add at least 200 MiB. Streamed, two 5 MiB parts are in flight,
  // plus the part being filled and their copies on the way to the socket.
  assert.ok(
    rssGrowth < 64,
    `RSS grew ${rssGrowth.toFixed(1)} MiB while streaming 200 MiB: it must stay bounded`,
  );
  assert.ok(buffersGrowth < 64, `live buffers grew ${buffersGrowth.toFixed(1)} MiB: they must stay bounded`);
  assert.equal((await store.head(`${prefix}200mb.log`))?.size, total);
  const back = await sha256Of(await store.get(`${prefix}200mb.log`));
  assert.equal(back.sha256, sha256(), 'what comes back is what was streamed');
});

test('a round trip keeps every byte: multipart stream, small buffer, string, empty object', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const { store, prefix } = storeFor(t);
  // 12 MiB of random bytes (invalid UTF-8 included) is three parts of a multipart upload.
  const data = randomBytes(12 * MiB);
  const put = await store.put(
    `${prefix}big.log`,
    Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]),
    {
      contentType: 'text/plain; charset=utf-8',
      metadata: { attempt: '1' },
    },
  );
  assert.equal(put.bytes, data.length);
  const back = await sha256Of(await store.get(`${prefix}big.log`));
  assert.equal(back.bytes, data.length);
  assert.equal(back.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal((await store.head(`${prefix}big.log`))?.size, data.length);

  const line = 'no trailing newline: \u00e9\u4e2d\ud83d\ude00';
  assert.equal((await store.put(`${prefix}line.log`, line)).bytes, Buffer.byteLength(line));
  assert.equal(
    (await sha256Of(await store.get(`${prefix}line.log`))).sha256,
    createHash('sha256').update(line).digest('hex'),
  );
  const small = randomBytes(1000);
  await store.put(`${prefix}small.bin`, small);
  assert.equal(
    (await sha256Of(await store.get(`${prefix}small.bin`))).sha256,
    createHash('sha256').update(small).digest('hex'),
  );
  assert.equal((await store.put(`${prefix}empty.log`, Readable.from([]))).bytes, 0);
  assert.equal((await store.head(`${prefix}empty.log`))?.size, 0);

  assert.equal(
    await store.get(`${prefix}missing.log`),
    undefined,
    'a missing key is undefined, not an error',
  );
  assert.equal(await store.head(`${prefix}missing.log`), undefined);
});

test('list pages past 1000 keys in key order; delete removes them in batches of 1000', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const { store, prefix } = storeFor(t);
  const keys = Array.from({ length: 1105 }, (_, i) => `${prefix}k/${String(i).padStart(5, '0')}`);
  await store.put(`${prefix}other`, 'outside the listed prefix');
  for (let i = 0; i < keys.length; i += 25) {
    await Promise.all(keys.slice(i, i + 25).map((key) => store.put(key, key)));
  }
  const listed: string[] = [];
  for await (const o of store.list(`${prefix}k/`)) {
    assert.equal(o.size, Buffer.byteLength(o.key));
    listed.push(o.key);
  }
  // S3 answers at most 1000 keys a page: all 1105 means the continuation token was followed.
  assert.deepEqual(listed, keys);

  await store.delete([...keys, `${prefix}k/never-existed`]);
  assert.deepEqual(await keysUnder(store, prefix), [`${prefix}other`], 'all 1105 are gone, and nothing else');
});

test('an aborted upload fails as aborted and leaves neither an object nor a multipart upload', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const { store, prefix } = storeFor(t);
  const key = `${prefix}aborted.log`;
  const { stream } = generated(1024 * MiB);
  const controller = new AbortController();
  let read = 0;
  stream.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read >= 16 * MiB) controller.abort();
  });
  await failsWith(store.put(key, stream, { signal: controller.signal }), 'aborted', 'the aborted put');
  assert.ok(read < 100 * MiB, `the upload stopped reading (read ${read} bytes)`);
  assert.equal(await store.head(key), undefined, 'no object');
  const s = localObjectStore();
  const client = new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  t.after(() => client.destroy());
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: s.bucket, Prefix: prefix }));
  assert.deepEqual(uploads.Uploads ?? [], [], 'its multipart upload was aborted');
});

test('the server stopped: put and head fail as unavailable; after it returns the same put works and earlier data is there', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const { store, prefix } = storeFor(t);
  const before = randomBytes(64 * 1024);
  await store.put(`${prefix}before.log`, before);
  const during = randomBytes(6 * MiB);
  stopObjectStore();
  let started = false;
  t.after(async () => {
    if (!started) await startObjectStore();
  });
  await failsWith(
    store.put(`${prefix}during.log`, Readable.from([during])),
    'unavailable',
    'put while stopped',
  );
  await failsWith(store.head(`${prefix}before.log`), 'unavailable', 'head while stopped');
  await startObjectStore();
  started = true;
  assert.equal((await store.put(`${prefix}during.log`, Readable.from([during]))).bytes, during.length);
  assert.equal(
    (await sha256Of(await store.get(`${prefix}during.log`))).sha256,
    createHash('sha256').update(during).digest('hex'),
  );
  assert.equal(
    (await sha256Of(await store.get(`${prefix}before.log`))).sha256,
    createHash('sha256').update(before).digest('hex'),
    'data put before the outage survived the restart',
  );
});

test('a wrong secret key fails as credentials; a missing bucket fails as bucket', async (t) => {
  if (!requireLocalObjectStore(t)) return;
  const s = localObjectStore();
  const wrong = localS3Store({
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: `${s.secretAccessKey}x` },
  });
  const noBucket = localS3Store({ bucket: `missing-${suffix()}` });
  t.after(() => {
    wrong.destroy();
    noBucket.destroy();
  });
  const key = `e2e-object-store/${suffix()}/x.log`;
  const err = await failsWith(wrong.put(key, 'x'), 'credentials', 'put with a wrong secret');
  assert.match(err.message, /secret access key is wrong/);
  await failsWith(wrong.head(key), 'credentials', 'head with a wrong secret');
  await failsWith(noBucket.put(key, 'x'), 'bucket', 'put to a missing bucket');
  await failsWith(keysUnder(noBucket, ''), 'bucket', 'list of a missing bucket');
});
