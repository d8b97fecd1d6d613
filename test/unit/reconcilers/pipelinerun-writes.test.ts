// The PipelineRun reconciler's answers to what the writer reports: a created pod, a pod the API
// server refuses for good, a pod name held by another, a status conflict. With a fake writer
// and in-memory caches; the plan itself is tested in test/unit/resources/pipelinerun/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { podCreateRefusal } from '../../../src/reconcilers/writers.ts';
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

const unauthorized = {
  refused:
    'HTTP 403 Forbidden: pods is forbidden: User "system:serviceaccount:furrow:furrow" cannot create resource "pods" in API group "" in the namespace "ci"',
  unauthorized: true,
} as const;

test('an authorisation 403 is tried again, 1, 2, 4, 8 s apart, writing nothing meanwhile; then the pod is created', async () => {
  const h = harness(makeRun({ spec: { retries: { limit: 0 } } }));
  let refusals = 4;
  h.writer.createResult = (pod) => (refusals-- > 0 ? unauthorized : { created: pod });
  const requeues = [];
  for (let i = 0; i < 4; i++) requeues.push(await h.reconcile());
  assert.deepEqual(requeues, [
    { requeueAfterMs: 1000 },
    { requeueAfterMs: 2000 },
    { requeueAfterMs: 4000 },
    { requeueAfterMs: 8000 },
  ]);
  assert.deepEqual(statusWrites(h.writer.calls), [], 'no status write while trying');
  await h.reconcile();
  assert.deepEqual(h.writer.calls.filter((c) => c === 'create pod app-1').length, 5);
  assert.deepEqual(statusWrites(h.writer.calls), [], 'the pod is the record');
  assert.ok(h.events.includes('Normal PodCreated: created pod app-1 (attempt 1)'), h.events.join('; '));
  // The slot is given back while waiting, and taken again on each try.
  assert.deepEqual(h.admission.filter((a) => a.startsWith('release')).length, 4);
  assert.deepEqual(h.admission.filter((a) => a.startsWith('reserve')).length, 5);
});

test('an authorisation 403 that lasts: after 5 tries the attempt ends PodRejected, saying how many', async () => {
  const h = harness(makeRun({ spec: { retries: { limit: 0 } } }));
  let status: Record<string, unknown> = {};
  h.writer.createResult = () => unauthorized;
  h.writer.statusResult = (run, s) => {
    status = s;
    return { written: { ...run, metadata: { ...run.metadata }, status: s } };
  };
  for (let i = 0; i < 4; i++) assert.ok((await h.reconcile())?.requeueAfterMs);
  assert.deepEqual(statusWrites(h.writer.calls), []);
  await h.reconcile();
  assert.equal(h.writer.calls.filter((c) => c === 'create pod app-1').length, 5);
  assert.deepEqual(statusWrites(h.writer.calls), ['write status Failed']);
  assert.equal(status.reason, 'PodRejected');
  assert.match(String(status.message), /cannot create resource "pods".*\(5 tries\)/);
});

test('other 403s end the attempt at the first refusal', async () => {
  const h = harness(makeRun({ spec: { retries: { limit: 0 } } }));
  h.writer.createResult = () => ({
    refused: 'HTTP 403 Forbidden: admission webhook "policy.example.com" denied the request',
  });
  await h.reconcile();
  assert.deepEqual(h.writer.calls.filter((c) => c.startsWith('create pod')).length, 1);
  assert.deepEqual(statusWrites(h.writer.calls), ['write status Failed']);
});

test('the writer tells an authorisation 403 from the other refusals', () => {
  const refusal = (code: number, message: string) =>
    podCreateRefusal(new ApiException(code, message, JSON.stringify({ reason: 'Forbidden', message }), {}));
  const authz =
    'pods is forbidden: User "system:serviceaccount:furrow:furrow" cannot create resource "pods" in API group "" in the namespace "ci"';
  assert.deepEqual(refusal(403, authz), { refused: `HTTP 403 Forbidden: ${authz}`, unauthorized: true });
  assert.deepEqual(refusal(403, 'pods "a" is forbidden: violates PodSecurity "restricted:latest"'), {
    refused: 'HTTP 403 Forbidden: pods "a" is forbidden: violates PodSecurity "restricted:latest"',
  });
  assert.equal(
    refusal(403, 'pods "a" is forbidden: exceeded quota: compute'),
    undefined,
    'a full quota is thrown',
  );
  assert.equal(refusal(500, 'boom'), undefined);
  assert.ok(refusal(422, 'invalid'));
});

test('a pod of the attempt’s name that the run controls and Furrow would build: adopted', async () => {
  const run = makeRun({ spec: { retries: { limit: 0 } } });
  const h = harness(run);
  h.writer.pods.set('ci/app-1', makePod(run, { created: 0, phase: 'Pending' }));
  h.writer.createResult = () => ({ exists: true });
  await h.reconcile();
  assert.deepEqual(h.writer.calls, ['create pod app-1', 'read pod app-1']);
  assert.deepEqual(h.admission, ['reserve app'], 'the slot is kept');
  assert.deepEqual(h.events, []);
});

test('a pod that claims to be the run’s but is built otherwise: reported, not adopted, the attempt failed', async () => {
  const run = makeRun({ spec: { retries: { limit: 0 } } });
  const h = harness(run);
  const forged = makePod(run, { created: 0, phase: 'Pending' });
  const main = forged.spec?.containers[0];
  assert.ok(main);
  main.image = 'evil:latest';
  forged.spec?.volumes?.push({ name: 'root', hostPath: { path: '/' } });
  h.writer.pods.set('ci/app-1', forged);
  h.writer.createResult = () => ({ exists: true });
  let status: Record<string, unknown> = {};
  h.writer.statusResult = (r, s) => {
    status = s;
    return { written: { ...r, metadata: { ...r.metadata }, status: s } };
  };
  await h.reconcile();
  assert.deepEqual(h.admission, ['reserve app', 'release ci/app']);
  assert.deepEqual(statusWrites(h.writer.calls), ['write status Failed']);
  assert.equal(status.reason, 'PodNotAdopted');
  const message =
    'pod app-1 claims to be this run’s but differs from the pod Furrow builds for it (containers (names, images, commands or args), volumes): not adopted';
  assert.equal(status.message, message);
  assert.ok(h.events.includes(`Warning PodNotAdopted: ${message}`), h.events.join('; '));
  assert.ok(!h.writer.calls.some((c) => c.startsWith('delete pod')), 'the pod is left alone');
});
