// Logs of simulated runs (issue 17): kwok serves every container's log from the file that
// test/cluster/kwok/logs.sh writes, and the API server's pods/log reaches kwok as it would a
// kubelet. So the operator's log archive (ADR 12) works on kwok nodes too, as in `make up` and
// the benchmark: a finished run's containers are in the local object store, complete.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { kubectl, waitFor } from '../support/kube.ts';
import { requireKwok } from '../support/nodes.ts';
import { localObjectStore, localS3Store, requireLocalObjectStore } from '../support/object-store.ts';
import { clusterDir } from '../support/paths.ts';
import { testImage } from '../support/images.ts';
import { manifestKey, type AttemptManifest } from '../../src/resources/logs/keys.ts';

/** kwok's log file (CRI format: time, stream, tag, text) as pods/log gives it, with and without times. */
function kwokLog(): { plain: string; timestamped: string } {
  const lines = readFileSync(path.join(clusterDir, 'kwok', 'container.log'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time, , , ...text] = line.split(' ');
      return { time, text: text.join(' ') };
    });
  assert.ok(lines.length > 0, 'kwok has a log to serve');
  return {
    plain: lines.map((l) => `${l.text}\n`).join(''),
    timestamped: lines.map((l) => `${l.time} ${l.text}\n`).join(''),
  };
}

test('a run on kwok nodes: kubectl logs shows kwok’s log, and every container is archived in the store', async (t) => {
  if (!(await requireKwok(t)) || !requireLocalObjectStore(t)) return;
  const expected = kwokLog();
  const env = await furrowEnv(t, { operator: { env: localObjectStore().env } });
  const run = await env.createRun(
    'simulated',
    { image: testImage, steps: ['build', 'test'].map((name) => ({ name, script: `echo ${name}` })) },
    { annotations: sim('300ms') },
  );
  await env.waitForPhase('simulated', 'Succeeded');

  // pods/log through the API server, as a user reads it.
  const logs = kubectl(['logs', '-n', env.namespace, 'simulated-1', '-c', 'test']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout, expected.plain);

  const store = localS3Store();
  const key = manifestKey({ namespace: env.namespace, name: 'simulated', uid: run.metadata.uid ?? '' }, 1);
  const manifest = await waitFor(
    'the archive’s manifest',
    async () => {
      const body = await store.get(key);
      return body ? (JSON.parse((await buffer(body)).toString()) as AttemptManifest) : undefined;
    },
    { timeoutMs: 60_000 },
  );
  assert.deepEqual(
    manifest.containers.map((c) => [c.name, c.role, c.missing]),
    [
      ['build', 'step', undefined],
      ['test', 'step', undefined],
    ],
  );
  for (const c of manifest.containers) {
    const body = await store.get(c.key);
    assert.ok(body, `${c.key} exists`);
    const bytes = await buffer(body);
    assert.equal(bytes.toString(), expected.timestamped, `${c.name}: kwok's lines with their times`);
    assert.equal(c.bytes, bytes.length, `${c.name}: the manifest's byte count`);
    assert.equal(c.sha256, createHash('sha256').update(bytes).digest('hex'), `${c.name}: its hash`);
  }
  const metrics = (await env.operator?.metrics()) ?? '';
  assert.match(metrics, /^furrow_log_archives_total\{result="archived"\} 1$/m);
  assert.match(metrics, /^furrow_log_archive_requests_total\{target="kubernetes"\} 2$/m);
  assert.doesNotMatch(metrics, /^furrow_log_archive_failures_total\{/m, 'no try failed');
  assert.equal(
    (await env.run('simulated')).status?.conditions?.find((c) => c.type === 'LogsArchived')?.status,
    undefined,
    'an archive that works the first time writes nothing to the run',
  );

  // Deleting the run releases its pod at once: its logs are archived, so the finalizer goes.
  await env.deleteRun('simulated');
  await waitFor('the pod to go', async () => ((await env.podOf('simulated-1')) ? undefined : true), {
    timeoutMs: 30_000,
  });
});
