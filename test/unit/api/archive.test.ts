// Reading the archive through the ObjectStore interface: timestamps stripped byte for byte,
// only attempts with a manifest exist, and every failure is the Status the user should see.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { ArchiveReader } from '../../../src/api/archive.ts';
import { StatusError } from '../../../src/api/status.ts';
import { StripTimestamps } from '../../../src/api/strip-timestamps.ts';
import {
  containerLogKey,
  manifestKey,
  type AttemptManifest,
  type RunLogRef,
} from '../../../src/resources/logs/keys.ts';
import { MemoryStore } from '../../support/memory-store.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function strip(input: Buffer, chunkSize: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
  return await collect(Readable.from(chunks).pipe(new StripTimestamps()));
}

const ts = '2026-12-02T15:49:34.123456789Z ';

describe('StripTimestamps', () => {
  const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x41, 0xc3]);
  const long = 'x'.repeat(100_000);
  const cases: [string, Buffer, Buffer][] = [
    ['plain lines', Buffer.from(`${ts}one\n${ts}two\n`), Buffer.from('one\ntwo\n')],
    ['no final newline', Buffer.from(`${ts}one\n${ts}last`), Buffer.from('one\nlast')],
    [
      'invalid UTF-8 kept byte for byte',
      Buffer.concat([Buffer.from(ts), invalidUtf8, Buffer.from('\n')]),
      Buffer.concat([invalidUtf8, Buffer.from('\n')]),
    ],
    ['a very long line', Buffer.from(`${ts}${long}\n${ts}b\n`), Buffer.from(`${long}\nb\n`)],
    ['empty lines', Buffer.from(`${ts}\n${ts}\n`), Buffer.from('\n\n')],
    [
      'a line without a timestamp stays',
      Buffer.from(`no time here\n${ts}x\n`),
      Buffer.from('no time here\nx\n'),
    ],
    ['an offset timestamp', Buffer.from('2026-12-02T15:49:34+01:00 y\n'), Buffer.from('y\n')],
    ['a short line', Buffer.from(`${ts}a\nb\n`), Buffer.from('a\nb\n')],
  ];
  for (const [name, input, expected] of cases)
    for (const size of [1, 3, 7, 64, 1 << 20])
      test(`${name}, in chunks of ${size}`, async () => {
        assert.deepEqual(await strip(input, size), expected);
      });
});

const run: RunLogRef = { namespace: 'team-a', name: 'build', uid: 'u-1' };

async function archiveAttempt(
  store: MemoryStore,
  ref: RunLogRef,
  attempt: number,
  logs: Record<string, string>,
): Promise<void> {
  const containers = await Promise.all(
    Object.entries(logs).map(async ([name, text], ordinal) => {
      const key = containerLogKey(ref, attempt, ordinal, name);
      await store.put(key, text);
      return { name, role: 'step' as const, key, bytes: text.length, sha256: '' };
    }),
  );
  const manifest: AttemptManifest = {
    version: 1,
    run: ref,
    attempt,
    pod: `${ref.name}-${attempt}`,
    archivedAt: `2026-12-02T10:0${attempt}:00Z`,
    containers,
  };
  await store.put(manifestKey(ref, attempt), JSON.stringify(manifest));
}

async function rejectsWith(promise: Promise<unknown>, code: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StatusError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('ArchiveReader', () => {
  test('reads a container’s log, stripped unless timestamps are asked for', async () => {
    const store = new MemoryStore();
    await archiveAttempt(store, run, 1, { compile: `${ts}line 1\n${ts}line 2\n` });
    const reader = new ArchiveReader(store);
    assert.equal((await collect(await reader.open(run, 1, 'compile', false))).toString(), 'line 1\nline 2\n');
    assert.equal(
      (await collect(await reader.open(run, 1, 'compile', true))).toString(),
      `${ts}line 1\n${ts}line 2\n`,
    );
  });

  test('lists the runs of a name by uid, complete attempts only, and the latest attempt', async () => {
    const store = new MemoryStore();
    await archiveAttempt(store, run, 1, { a: 'x' });
    await archiveAttempt(store, run, 2, { a: 'y' });
    const older = { ...run, uid: 'u-0' };
    await archiveAttempt(store, older, 1, { a: 'z' });
    // Attempt 3 of u-1 is mid-archive: its log exists, its manifest does not.
    await store.put(containerLogKey(run, 3, 0, 'a'), 'partial');
    // Another run whose name starts the same is not this one.
    await archiveAttempt(store, { ...run, name: 'build-2', uid: 'u-9' }, 1, { a: 'w' });
    const reader = new ArchiveReader(store);
    const runs = await reader.runs('team-a', 'build');
    assert.deepEqual(
      runs.map((r) => [r.uid, r.attempts.map((a) => a.attempt)]),
      [
        ['u-0', [1]],
        ['u-1', [1, 2]],
      ],
    );
    assert.deepEqual(
      (await reader.runs('team-a', 'build', 'u-0')).map((r) => r.uid),
      ['u-0'],
    );
    assert.equal(await reader.latestAttempt(run), 2);
    await rejectsWith(
      reader.open(run, 3, 'a', false),
      404,
      /attempt 3 of pipelinerun team-a\/build \(uid u-1\) has no archived logs/,
    );
  });

  test('a missing container is a 404 naming it and listing the others', async () => {
    const store = new MemoryStore();
    await archiveAttempt(store, run, 1, { compile: 'x', test: 'y' });
    await rejectsWith(
      new ArchiveReader(store).open(run, 1, 'lint', false),
      404,
      /no container "lint"; it has: compile, test/,
    );
  });

  test('a store that is down is a 503, and no store at all is a 503 that says so', async () => {
    const store = new MemoryStore();
    await archiveAttempt(store, run, 1, { compile: 'x' });
    store.fail = new Error('connect ECONNREFUSED 127.0.0.1:9000');
    const reader = new ArchiveReader(store);
    await rejectsWith(
      reader.open(run, 1, 'compile', false),
      503,
      /object store\) is unavailable.*ECONNREFUSED/,
    );
    await rejectsWith(reader.runs('team-a', 'build'), 503, /unavailable/);
    await rejectsWith(
      new ArchiveReader(undefined).runs('team-a', 'build'),
      503,
      /no object store is configured/,
    );
  });

  test('a manifest that is not one (corrupt, another version) counts as not archived', async () => {
    const store = new MemoryStore();
    await store.put(manifestKey(run, 1), '{not json');
    await store.put(manifestKey(run, 2), JSON.stringify({ version: 2, containers: [] }));
    const reader = new ArchiveReader(store);
    assert.deepEqual(await reader.runs('team-a', 'build'), []);
    await rejectsWith(reader.open(run, 1, 'a', false), 404, /no archived logs/);
  });
});
