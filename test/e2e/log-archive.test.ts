// Logs that outlive the pod (issue 17, ADR 12), on the real node with the local cluster's real
// S3 server: a cancelled run's step output is archived exactly, also after the run is deleted;
// awkward bytes survive; a store that is down delays a deletion (the pod waits, the run says
// why) and loses nothing once it is back. On a cluster without a real node these tests skip,
// and with FURROW_REAL_NODE=1 (CI) they fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { FurrowEnv } from '../support/env.ts';
import { startFurrowApi } from '../support/furrow-api.ts';
import { kubectlPath, repoRoot } from '../support/paths.ts';
import { kubeconfigPath, kubectl, waitFor } from '../support/kube.ts';
import {
  localObjectStore,
  localS3Store,
  startObjectStore,
  stopObjectStore,
} from '../support/object-store.ts';
import { realNodeEnv, realNodeImages, requireRealNode } from '../support/real-node.ts';
import type { AttemptManifest } from '../../src/resources/logs/keys.ts';
import { attemptPrefix, manifestKey } from '../../src/resources/logs/keys.ts';

const image = realNodeImages.busybox;
// `kubectl furrow` finds the plugin on PATH, as a user's kubectl would (make install puts it there).
copyFileSync(path.join(repoRoot, 'scripts', 'kubectl-furrow'), path.join(repoRoot, 'bin', 'kubectl-furrow'));
process.env.PATH = `${path.join(repoRoot, 'bin')}:${process.env.PATH ?? ''}`;

/** The archived bytes of a container with the kubelet's timestamps taken off each line. */
function untimestamped(stored: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  while (start < stored.length) {
    let end = stored.indexOf(0x0a, start);
    end = end < 0 ? stored.length : end + 1;
    const line = stored.subarray(start, end);
    const space = line.indexOf(0x20);
    out.push(
      space > 0 && /^\d{4}-\d\d-\d\dT\S+$/.test(line.subarray(0, space).toString('latin1'))
        ? line.subarray(space + 1)
        : line,
    );
    start = end;
  }
  return Buffer.concat(out);
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Buffer> {
  assert.ok(stream, 'the object exists');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function archivedEnv(
  t: TestContext,
  extraEnv: Record<string, string> = {},
): Promise<FurrowEnv | undefined> {
  if (!(await requireRealNode(t))) return undefined;
  return realNodeEnv(t, {}, { env: { ...localObjectStore().env, ...extraEnv } });
}

/** The manifest of the run's attempt, once the archive is complete. */
async function manifestOf(env: FurrowEnv, name: string, uid: string, attempt = 1): Promise<AttemptManifest> {
  const store = localS3Store();
  const key = manifestKey({ namespace: env.namespace, name, uid }, attempt);
  return waitFor(
    `the archive of ${name} attempt ${attempt}`,
    async () =>
      (await store.head(key))
        ? (JSON.parse((await readAll(await store.get(key))).toString()) as AttemptManifest)
        : undefined,
    { timeoutMs: 120_000 },
  );
}

async function containerLog(manifest: AttemptManifest, container: string): Promise<Buffer> {
  const entry = manifest.containers.find((c) => c.name === container);
  assert.ok(entry, `the manifest lists ${container}`);
  return untimestamped(await readAll(await localS3Store().get(entry.key)));
}

test('a run cancelled mid-step: its pod goes, and what the step printed is archived exactly, also after the run is deleted', async (t) => {
  const env = await archivedEnv(t);
  if (!env) return;
  await startFurrowApi(t, localObjectStore().env);
  const run = await env.createRun('numbers', {
    image,
    steps: [{ name: 'count', script: 'seq 1 10000; echo printed-all; sleep 600' }],
  });
  const uid = run.metadata.uid ?? '';
  await waitFor(
    'the step to print everything',
    async () => {
      await Promise.resolve();
      const out = kubectl(['logs', '-n', env.namespace, 'numbers-1', '-c', 'count']);
      return out.stdout.includes('printed-all') ? true : undefined;
    },
    { timeoutMs: 120_000 },
  );
  const pod = await env.podOf('numbers-1');
  assert.deepEqual(
    pod?.metadata?.finalizers,
    ['furrow.dev/logs'],
    'the runner pod carries the logs finalizer',
  );

  await env.patchRun('numbers', { spec: { cancelled: true } });
  await env.waitForPhase('numbers', 'Cancelled');
  const manifest = await manifestOf(env, 'numbers', uid);
  const expected = Array.from({ length: 10_000 }, (_, i) => `${i + 1}\n`).join('') + 'printed-all\n';
  assert.equal((await containerLog(manifest, 'count')).toString(), expected);
  await waitFor(
    'the cancelled run’s pod to go',
    async () => ((await env.podOf('numbers-1')) ? undefined : true),
    {
      timeoutMs: 60_000,
    },
  );

  // What a user sees: `kubectl furrow logs` reads the archive once the pod is gone...
  // kubectl takes no flags before a plugin's name: the kubeconfig goes in the environment.
  const plugin = (args: string[]) => {
    const result = spawnSync(kubectlPath, ['furrow', 'logs', '-n', env.namespace, ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath() },
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };
  const count = /^\[count\] /gm; // the plugin's step prefix
  assert.equal(plugin(['numbers', '--step', 'count']).replace(count, ''), expected);

  await env.deleteRun('numbers');
  await waitFor('the run to be gone', async () => {
    try {
      await env.run('numbers');
      return undefined;
    } catch {
      return true;
    }
  });
  assert.equal((await containerLog(manifest, 'count')).toString(), expected, 'the logs outlive the run');
  // ...and after the run is deleted, with its uid.
  assert.equal(plugin(['numbers', '--uid', uid, '--step', 'count']).replace(count, ''), expected);
  const finished = env.operator?.logs ?? [];
  assert.ok(
    finished.some((l) => l.message === 'archived logs'),
    'the operator says it archived them',
  );
});

test('invalid UTF-8, a 100 kB line and no trailing newline come back byte for byte; a run that succeeded keeps its pod', async (t) => {
  const env = await archivedEnv(t);
  if (!env) return;
  const run = await env.createRun('bytes', {
    image,
    steps: [
      { name: 'first', script: "printf 'one\\ntwo\\n'" },
      {
        name: 'awkward',
        script: "printf '\\377\\376\\n'; head -c 100000 /dev/zero | tr '\\0' x; printf 'end'",
      },
    ],
  });
  await env.waitForPhase('bytes', 'Succeeded', { timeoutMs: 120_000 });
  const manifest = await manifestOf(env, 'bytes', run.metadata.uid ?? '');
  assert.deepEqual(
    manifest.containers.map((c) => c.name),
    ['first', 'awkward'],
  );
  assert.equal((await containerLog(manifest, 'first')).toString(), 'one\ntwo\n');
  const expected = Buffer.concat([
    Buffer.from([0xff, 0xfe, 0x0a]),
    Buffer.from('x'.repeat(100_000)),
    Buffer.from('end'),
  ]);
  assert.ok((await containerLog(manifest, 'awkward')).equals(expected), 'the awkward step’s bytes are exact');
  const pod = await env.podOf('bytes-1');
  assert.ok(pod, 'a finished run keeps its pod (and the finalizer) until the run goes');
  assert.equal(
    (await env.run('bytes')).status?.conditions?.find((c) => c.type === 'LogsArchived'),
    undefined,
    'no write for an archive that worked',
  );
});

test('the store down: the run finishes, says why its logs wait, its deleted pod waits; nothing lost once the store is back', async (t) => {
  const env = await archivedEnv(t);
  if (!env) return;
  t.after(() => startObjectStore());
  stopObjectStore();
  const run = await env.createRun('outage', {
    image,
    steps: [{ name: 'say', script: 'echo while-the-store-was-down' }],
  });
  await env.waitForPhase('outage', 'Succeeded', { timeoutMs: 120_000 });
  const waiting = await env.waitForRun(
    'outage',
    'to say its logs are not archived',
    (r) => r.status?.conditions?.some((c) => c.type === 'LogsArchived' && c.status === 'False') ?? false,
  );
  assert.equal(
    waiting.status?.conditions?.find((c) => c.type === 'LogsArchived')?.reason,
    'StoreUnavailable',
  );
  await env.deleteRun('outage');
  await new Promise((r) => setTimeout(r, 5_000));
  const held = await env.podOf('outage-1');
  assert.ok(held?.metadata?.deletionTimestamp, 'the pod is being deleted');
  assert.ok(held.metadata.finalizers?.includes('furrow.dev/logs'), 'and waits for its logs');

  await startObjectStore();
  const manifest = await manifestOf(env, 'outage', run.metadata.uid ?? '');
  assert.equal((await containerLog(manifest, 'say')).toString(), 'while-the-store-was-down\n');
  await waitFor('the held pod to go', async () => ((await env.podOf('outage-1')) ? undefined : true), {
    timeoutMs: 60_000,
  });
  const objects: string[] = [];
  for await (const o of localS3Store().list(
    attemptPrefix({ namespace: env.namespace, name: 'outage', uid: run.metadata.uid ?? '' }, 1),
  ))
    objects.push(o.key);
  assert.equal(objects.length, 2, 'the container’s log and the manifest');
});

/** The process's resident set, in MiB, from /proc. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

test('a step printing 200 MB: archived in full, streamed, the operator’s memory barely moves', async (t) => {
  // The operator nearly as the image runs it (Dockerfile: a 2 MB young generation, two malloc
  // arenas; --optimize-for-size isn't allowed in NODE_OPTIONS).
  const env = await archivedEnv(t, {
    NODE_OPTIONS: '--max-semi-space-size=2',
    MALLOC_ARENA_MAX: '2',
  });
  if (!env) return;
  const pid = env.operator?.pid ?? 0;
  const lines = 2_000_000; // 100 bytes each with the newline: 200 MB
  const run = await env.createRun('chatty', {
    image,
    steps: [
      { name: 'print', script: `awk 'BEGIN { for (i = 1; i <= ${lines}; i++) printf "%099d\\n", i }'` },
    ],
  });
  const before = rssMiB(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
  t.after(() => clearInterval(sampler));
  await env.waitForPhase('chatty', 'Succeeded', { timeoutMs: 300_000 });
  const manifest = await manifestOf(env, 'chatty', run.metadata.uid ?? '');
  clearInterval(sampler);
  const entry = manifest.containers.find((c) => c.name === 'print');
  // Each stored line is the kubelet's timestamp (an RFC 3339 time and a space) and the 100 bytes.
  assert.ok(entry && entry.bytes > lines * 100, `archived ${entry?.bytes} bytes`);
  const content = await readAll(await localS3Store().get(entry.key));
  assert.equal(content.length, entry.bytes);
  const text = untimestamped(content);
  assert.equal(text.length, lines * 100, 'every byte the step printed');
  assert.equal(text.subarray(0, 100).toString(), `${'1'.padStart(99, '0')}\n`);
  assert.equal(text.subarray(text.length - 100).toString(), `${String(lines).padStart(99, '0')}\n`);
  t.diagnostic(
    `operator RSS ${before.toFixed(0)} MiB → peak ${peak.toFixed(0)} MiB while archiving ${(entry.bytes / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.ok(
    peak - before < 150,
    `the operator's RSS grew ${(peak - before).toFixed(0)} MiB: the log was not streamed`,
  );
});
