// The log archive when the store refuses Furrow, and its retention (issue 17, ADR 12), on kwok
// nodes (which serve pod logs) with the local cluster's real S3 server: wrong keys give the run a
// clear condition and a metric, and a deletion waits only until the archive deadline; logs of a
// deleted run go after --log-retention while a run that still exists keeps its own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { waitFor } from '../support/kube.ts';
import { requireKwok } from '../support/nodes.ts';
import { localObjectStore, localS3Store, requireLocalObjectStore } from '../support/object-store.ts';
import { testImage } from '../support/images.ts';
import { containerLogKey, manifestKey, runPrefix } from '../../src/resources/logs/keys.ts';

/** The value of a metric sample (first matching line), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('wrong store keys: the run says StoreCredentialsRejected, the failures are counted, a deletion waits only until the deadline', async (t) => {
  if (!(await requireKwok(t)) || !requireLocalObjectStore(t)) return;
  const env = await furrowEnv(t, {
    operator: {
      env: { ...localObjectStore().env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      args: ['--archive-deadline', '3s'],
    },
  });
  await env.createRun(
    'refused',
    { image: testImage, steps: [{ name: 'build', script: 'echo hi' }] },
    { annotations: sim('200ms') },
  );
  await env.waitForPhase('refused', 'Succeeded');
  const said = await env.waitForRun(
    'refused',
    'to say its logs are not archived',
    (r) => r.status?.conditions?.some((c) => c.type === 'LogsArchived' && c.status === 'False') ?? false,
  );
  const condition = said.status?.conditions?.find((c) => c.type === 'LogsArchived');
  assert.equal(condition?.reason, 'StoreCredentialsRejected', JSON.stringify(condition));
  const metrics = (await env.operator?.metrics()) ?? '';
  assert.ok(
    sample(metrics, 'furrow_log_archive_failures_total{reason="credentials"}') >= 1,
    'the failure is counted',
  );
  assert.equal(sample(metrics, 'furrow_log_archives_total{result="archived"}'), 0);

  // Deleted, the pod waits for its logs only until the deadline (3 s here), then goes unarchived.
  await env.deleteRun('refused');
  await waitFor(
    'the held pod to go at the deadline',
    async () => ((await env.podOf('refused-1')) ? undefined : true),
    {
      timeoutMs: 60_000,
    },
  );
  const after = (await env.operator?.metrics()) ?? '';
  assert.equal(sample(after, 'furrow_log_archives_total{result="late"}'), 1, 'counted as let go late');
});

test('retention: a deleted run’s logs go once older than --log-retention; an existing run keeps its own', async (t) => {
  if (!(await requireKwok(t)) || !requireLocalObjectStore(t)) return;
  const env = await furrowEnv(t, { operator: false });
  // A run that exists (never started: no operator yet) and one long deleted, each with logs.
  const live = await env.createRun('live', {
    image: testImage,
    steps: [{ name: 'build', script: 'echo hi' }],
  });
  const liveRef = { namespace: env.namespace, name: 'live', uid: live.metadata.uid ?? '' };
  const goneRef = { namespace: env.namespace, name: 'gone', uid: randomUUID() };
  const store = localS3Store();
  for (const ref of [liveRef, goneRef]) {
    await store.put(containerLogKey(ref, 1, 0, 'build'), '2026-12-02T12:00:00Z hi\n');
    await store.put(manifestKey(ref, 1), '{}\n');
  }
  const keys = async (prefix: string) => {
    const found: string[] = [];
    for await (const o of store.list(prefix)) found.push(o.key);
    return found;
  };
  assert.equal((await keys(runPrefix(goneRef))).length, 2, 'the deleted run’s logs are there to start with');
  await new Promise((r) => setTimeout(r, 2_000));

  // A new leader sweeps at once.
  await env.startOperator({ env: localObjectStore().env, args: ['--log-retention', '1s'] });
  await waitFor(
    'the deleted run’s logs to go',
    async () => ((await keys(runPrefix(goneRef))).length === 0 ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  assert.equal((await keys(runPrefix(liveRef))).length, 2, 'a run that exists keeps its logs, however old');
  assert.ok(
    env.operator?.logs.some((l) => l.message === 'deleted expired logs' && l.uid === goneRef.uid),
    'the operator says what it deleted',
  );
});
