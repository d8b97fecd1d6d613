// The log archive reconciler with a scripted archiver and a recording writer: what it does for
// each decision, when it writes the run's LogsArchived condition, and the retry backoff.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArchiveState } from '../../../src/archive/archiver.ts';
import type { Pod } from '../../../src/kube/json.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { LogArchiveReconciler } from '../../../src/reconcilers/log-archive.ts';
import type { LogArchiveWriter } from '../../../src/reconcilers/writers.ts';
import { logsFinalizer } from '../../../src/resources/api.ts';
import type { Condition, PipelineRun } from '../../../src/resources/types.ts';
import { makeRun } from '../../support/builders.ts';
import { MemoryCache } from '../../support/memory-cache.ts';

const now = Date.parse('2026-12-02T12:00:00Z');

function runnerPod(o: { deletedAgoMs?: number; phase?: string } = {}): Pod {
  return {
    metadata: {
      name: 'app-1',
      namespace: 'ci',
      uid: 'pod-uid',
      labels: { 'furrow.dev/attempt': '1' },
      finalizers: [logsFinalizer],
      ownerReferences: [
        {
          apiVersion: 'furrow.dev/v1alpha1',
          kind: 'PipelineRun',
          name: 'app',
          uid: 'run-uid',
          controller: true,
        },
      ],
      ...(o.deletedAgoMs !== undefined
        ? { deletionTimestamp: new Date(now - o.deletedAgoMs).toISOString() }
        : {}),
    },
    spec: { containers: [{ name: 'test' }] },
    status: {
      phase: o.phase ?? 'Succeeded',
      containerStatuses: [
        {
          name: 'test',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: o.phase === 'Running' ? { running: {} } : { terminated: { exitCode: 0 } },
        },
      ],
    },
  };
}

function setup(pod: Pod, state: ArchiveState, conditions?: Condition[]) {
  const calls: string[] = [];
  const run = makeRun({ name: 'app', namespace: 'ci' });
  run.metadata.uid = 'run-uid';
  if (conditions) run.status = { ...run.status, conditions };
  const writer: LogArchiveWriter = {
    releasePod: (p) => {
      calls.push(`release ${p.metadata?.name ?? ''}`);
      return Promise.resolve(true);
    },
    patchRunConditions: (_r, cs) => {
      calls.push(`conditions ${cs.map((c) => `${c.type}=${c.status}/${c.reason}`).join(',')}`);
      return Promise.resolve({ written: true });
    },
  };
  let clock = now;
  const reconciler = new LogArchiveReconciler({
    pods: new MemoryCache<Pod>([pod]),
    runs: new MemoryCache<PipelineRun>([run]),
    archiver: {
      state: () => state,
      start: (p) => calls.push(`start ${p.metadata?.name ?? ''}`),
    },
    writer,
    recorder: { record: (_o, type, reason) => calls.push(`event ${type} ${reason}`) },
    metrics: new Metrics({ processMetrics: false }),
    deadlineMs: 300_000,
    clock: () => clock,
  });
  const reconcile = () => reconciler.reconcile('ci/app-1', { log: silentLogger(), retries: 0 });
  return { calls, reconcile, tick: (ms: number) => (clock += ms) };
}

test('a finished pod: the copy starts; once archived, nothing is written', async () => {
  const started = setup(runnerPod(), undefined);
  assert.equal(await started.reconcile(), undefined);
  assert.deepEqual(started.calls, ['start app-1']);
  const done = setup(runnerPod(), 'archived');
  await done.reconcile();
  assert.deepEqual(done.calls, [], 'no write for an archive that worked the first time');
});

test('a deleted pod: released once archived; released late, with an Event, at the deadline', async () => {
  const archived = setup(runnerPod({ deletedAgoMs: 1000 }), 'archived');
  await archived.reconcile();
  assert.deepEqual(archived.calls, ['release app-1']);
  const failing = { kind: 'unavailable' as const, message: 'connect ECONNREFUSED', failures: 7 };
  const late = setup(runnerPod({ deletedAgoMs: 300_000 }), failing);
  await late.reconcile();
  assert.deepEqual(late.calls, [
    'conditions LogsArchived=False/StoreUnavailable',
    'event Warning LogsNotArchived',
    'release app-1',
  ]);
});

test('a running pod being deleted is looked at again soon; one not deleted waits for its change', async () => {
  const deleting = setup(runnerPod({ deletedAgoMs: 0, phase: 'Running' }), undefined);
  assert.deepEqual(await deleting.reconcile(), { requeueAfterMs: 2000 });
  const running = setup(runnerPod({ phase: 'Running' }), undefined);
  assert.equal(await running.reconcile(), undefined);
  assert.deepEqual([...deleting.calls, ...running.calls], []);
});

test('a failed copy: the run says why once, the retry waits its backoff, recovery is said once', async () => {
  const failing = { kind: 'credentials' as const, message: 'InvalidAccessKeyId', failures: 2 };
  const s = setup(runnerPod(), failing);
  const first = await s.reconcile();
  assert.deepEqual(first, { requeueAfterMs: 10_000 }, 'second failure: 10 s');
  assert.deepEqual(s.calls, ['conditions LogsArchived=False/StoreCredentialsRejected']);
  s.tick(10_000);
  await s.reconcile();
  assert.equal(s.calls.at(-1), 'start app-1');

  const said = setup(runnerPod(), failing, [
    {
      type: 'LogsArchived',
      status: 'False',
      reason: 'StoreCredentialsRejected',
      message: '',
      lastTransitionTime: '',
    },
  ]);
  await said.reconcile();
  assert.ok(!said.calls.some((c) => c.startsWith('conditions')), 'the same reason is not written again');

  const recovered = setup(runnerPod(), 'archived', [
    {
      type: 'LogsArchived',
      status: 'False',
      reason: 'StoreUnavailable',
      message: '',
      lastTransitionTime: '',
    },
  ]);
  await recovered.reconcile();
  assert.deepEqual(recovered.calls, ['conditions LogsArchived=True/Archived']);
});

test('no store: a deleted pod is released at once, a kept one left alone', async () => {
  for (const [pod, want] of [
    [runnerPod({ deletedAgoMs: 0 }), ['release app-1']],
    [runnerPod(), []],
  ] as const) {
    const calls: string[] = [];
    const reconciler = new LogArchiveReconciler({
      pods: new MemoryCache<Pod>([pod]),
      runs: new MemoryCache<PipelineRun>([]),
      archiver: undefined,
      writer: {
        releasePod: () => (calls.push('release app-1'), Promise.resolve(true)),
        patchRunConditions: () => Promise.resolve({ written: true }),
      },
      recorder: { record: () => undefined },
      metrics: new Metrics({ processMetrics: false }),
      deadlineMs: 300_000,
      clock: () => now,
    });
    await reconciler.reconcile('ci/app-1', { log: silentLogger(), retries: 0 });
    assert.deepEqual(calls, want);
  }
});
