// The PipelineRun reconciler's answers to what the writer reports: a created pod, a pod the API
// server refuses for good, a pod name held by another, a status conflict. With a fake writer
// and in-memory caches; the plan itself is tested in test/unit/resources/pipelinerun/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineRun } from '../../../src/resources/types.ts';
import { at, makePod, makeRun } from '../../support/builders.ts';
import { FakePipelineRunWriter, pipelineRunReconciler } from '../../support/fake-writers.ts';
import { recorder } from '../../support/world.ts';

function harness(run: PipelineRun | undefined) {
  const writer = new FakePipelineRunWriter();
  const events = recorder();
  const admission: string[] = [];
  const { reconcile } = pipelineRunReconciler({
    writer,
    runs: run ? [run] : [],
    now: at(1),
    admission: {
      reserve: (r: PipelineRun) => admission.push(`reserve ${r.metadata.name ?? ''}`),
      release: (key: string) => admission.push(`release ${key}`),
    },
    recorder: events,
  });
  return { writer, events: events.events, admission, reconcile: () => reconcile('ci/app') };
}

const statusWrites = (calls: string[]) => calls.filter((c) => c.startsWith('write status'));

test('an admitted run: its slot is reserved and its pod created; the pod is the record for now', async () => {
  const h = harness(makeRun());
  await h.reconcile();
  assert.deepEqual(
    h.writer.calls,
    ['create pod app-1'],
    'no status write yet (docs/architecture.md, step 4)',
  );
  assert.deepEqual(h.admission, ['reserve app']);
  assert.ok(h.events.includes('Normal PodCreated: created pod app-1 (attempt 1)'), h.events.join('; '));
});

test('a pod the API server refuses for good ends the attempt, and gives its slot back', async () => {
  const h = harness(makeRun({ spec: { retries: { limit: 0 } } }));
  h.writer.createResult = () => ({ refused: 'HTTP 403 Forbidden: violates PodSecurity "restricted"' });
  await h.reconcile();
  assert.deepEqual(h.admission, ['reserve app', 'release ci/app']);
  assert.deepEqual(statusWrites(h.writer.calls), ['write status Failed']);
});

test('a pod name held by a pod this run doesn’t control: the run waits, saying so', async () => {
  const h = harness(makeRun());
  const stranger = makePod(makeRun({ uid: 'someone-else' }), { created: 0, phase: 'Running' });
  h.writer.pods.set('ci/app-1', stranger);
  h.writer.createResult = () => ({ exists: true });
  await h.reconcile();
  assert.deepEqual(h.writer.calls.slice(0, 2), ['create pod app-1', 'read pod app-1']);
  assert.deepEqual(h.admission, ['reserve app', 'release ci/app']);
  assert.ok(
    h.events.some((e) => e.startsWith('Warning PodNameTaken:')),
    h.events.join('; '),
  );
});

test('a status conflict is retried from the newer version soon', async () => {
  const h = harness(makeRun({ spec: { retries: { limit: 0 } } }));
  h.writer.createResult = () => ({ refused: 'HTTP 422 Invalid: spec.containers[0].image: Required value' });
  h.writer.statusResult = () => 'conflict';
  assert.deepEqual(await h.reconcile(), { requeueAfterMs: 500 });
});

test('a run gone from the cache is forgotten; its pods are the garbage collector’s', async () => {
  const h = harness(undefined);
  assert.equal(await h.reconcile(), undefined);
  assert.deepEqual(h.writer.calls, []);
});
