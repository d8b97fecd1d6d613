// The archiver against an in-memory store and a scripted pods/log: what it writes, in which
// order, what a failure leaves behind, and that it never runs more copies than allowed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { LogArchiver, type PodLogSource, type StoreFailure } from '../../../src/archive/archiver.ts';
import type { Pod } from '../../../src/kube/json.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { logsFinalizer } from '../../../src/resources/api.ts';
import type { AttemptManifest } from '../../../src/resources/logs/keys.ts';
import { MemoryStore } from '../../support/memory-store.ts';

function runnerPod(name: string, uid = `uid-${name}`): Pod {
  return {
    metadata: {
      name: `${name}-1`,
      namespace: 'ci',
      uid,
      labels: { 'furrow.dev/attempt': '1' },
      finalizers: [logsFinalizer],
      ownerReferences: [
        {
          apiVersion: 'furrow.dev/v1alpha1',
          kind: 'PipelineRun',
          name,
          uid: `run-${name}`,
          controller: true,
        },
      ],
    },
    spec: {
      initContainers: [
        { name: 'db', restartPolicy: 'Always' },
        { name: 'furrow-checkout' },
        { name: 'build' },
      ],
      containers: [{ name: 'test' }],
    },
    status: { phase: 'Failed' },
  };
}

const classify = (err: unknown): StoreFailure => ({ kind: 'unavailable', message: String(err) });

function setup(logs: PodLogSource, concurrency = 2) {
  const store = new MemoryStore();
  const done: string[] = [];
  let resolveDone: () => void = () => undefined;
  const archiver = new LogArchiver({
    store,
    logs,
    concurrency,
    metrics: new Metrics({ processMetrics: false }),
    log: silentLogger(),
    classify,
    done: (key) => {
      done.push(key);
      resolveDone();
    },
    clock: () => Date.parse('2026-12-02T12:00:00Z'),
  });
  const ended = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (done.length >= n ? resolve() : undefined);
      resolveDone = check;
      check();
    });
  return { store, archiver, done, ended };
}

// Invalid UTF-8, a long line, no trailing newline: bytes go through untouched.
const awkward = Buffer.concat([
  Buffer.from('2026-12-02T12:00:00Z '),
  Buffer.from([0xff, 0xfe]),
  Buffer.from('x'.repeat(70_000)),
]);

test('every container in order, byte for byte, then the manifest; a never-started one is recorded as missing', async () => {
  const opened: string[] = [];
  const { store, archiver, ended } = setup({
    open(_ns, _pod, container) {
      opened.push(container);
      if (container === 'db')
        return Promise.reject(
          new ApiException(
            400,
            'Bad Request',
            JSON.stringify({
              kind: 'Status',
              code: 400,
              message: 'container "db" in pod "app-1" is waiting to start: PodInitializing',
            }),
            {},
          ),
        );
      return Promise.resolve(
        Readable.from([container === 'test' ? awkward : Buffer.from(`2026-12-02T12:00:00Z ${container}\n`)]),
      );
    },
  });
  const pod = runnerPod('app');
  archiver.start(pod);
  assert.equal(archiver.state('uid-app'), 'running');
  await ended(1);
  assert.equal(archiver.state('uid-app'), 'archived');
  assert.deepEqual(opened, ['furrow-checkout', 'build', 'test', 'db']);
  const prefix = 'logs/v1/ci/app/run-app/attempt-1/';
  assert.deepEqual(
    store.calls.filter((c) => c.startsWith('put')),
    ['00-furrow-checkout.log', '01-build.log', '02-test.log', '03-db.log', 'manifest.json'].map(
      (f) => `put ${prefix}${f}`,
    ),
    'the manifest is written last',
  );
  assert.deepEqual(store.objects.get(`${prefix}02-test.log`)?.body, awkward);
  const manifest = JSON.parse(
    store.objects.get(`${prefix}manifest.json`)?.body.toString() ?? '',
  ) as AttemptManifest;
  assert.equal(manifest.containers.length, 4);
  const test3 = manifest.containers[2];
  assert.equal(test3?.bytes, awkward.length);
  assert.equal(test3?.sha256, createHash('sha256').update(awkward).digest('hex'));
  assert.match(manifest.containers[3]?.missing ?? '', /waiting to start/);
  assert.equal(manifest.containers[3]?.bytes, 0);
});

test('a read that breaks mid-stream leaves no manifest, and the failure is counted', async () => {
  const { store, archiver, ended } = setup({
    open: () =>
      Promise.resolve(
        Readable.from(
          (async function* () {
            yield Buffer.from('2026-12-02T12:00:00Z half\n');
            await Promise.resolve();
            throw new Error('connection reset by the kubelet');
          })(),
        ),
      ),
  });
  archiver.start(runnerPod('app'));
  await ended(1);
  const state = archiver.state('uid-app');
  assert.ok(typeof state === 'object', 'a failure is kept');
  assert.equal(state.failures, 1);
  assert.equal([...store.objects.keys()].filter((k) => k.endsWith('manifest.json')).length, 0);
});

test('a store that is down: failure kept, counted up on each try; archived once it is back', async () => {
  const { store, archiver, ended } = setup({
    open: () => Promise.resolve(Readable.from([Buffer.from('x\n')])),
  });
  store.fail = new Error('connect ECONNREFUSED');
  const pod = runnerPod('app');
  archiver.start(pod);
  await ended(1);
  archiver.start(pod);
  await ended(2);
  const state = archiver.state('uid-app');
  assert.ok(typeof state === 'object');
  assert.equal(state.failures, 2);
  assert.equal(state.kind, 'unavailable');
  store.fail = undefined;
  archiver.start(pod);
  await ended(3);
  assert.equal(archiver.state('uid-app'), 'archived');
});

test('an attempt whose manifest exists is not copied again (a restart, another leader)', async () => {
  let reads = 0;
  const { store, archiver, ended } = setup({
    open: () => {
      reads++;
      return Promise.resolve(Readable.from([Buffer.from('x\n')]));
    },
  });
  await store.put('logs/v1/ci/app/run-app/attempt-1/manifest.json', '{}');
  archiver.start(runnerPod('app'));
  await ended(1);
  assert.equal(reads, 0);
  assert.equal(archiver.state('uid-app'), 'archived');
});

test('never more copies at once than the concurrency', async () => {
  let open = 0;
  let most = 0;
  const { archiver, ended } = setup(
    {
      async open() {
        open++;
        most = Math.max(most, open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
        return Readable.from([Buffer.from('x\n')]);
      },
    },
    2,
  );
  for (let i = 0; i < 6; i++) archiver.start(runnerPod(`app${i}`));
  await ended(6);
  assert.equal(most, 2);
  for (let i = 0; i < 6; i++) assert.equal(archiver.state(`uid-app${i}`), 'archived');
});

test('a log the API server can’t give (its kubelet unreachable) is not blamed on the store', async () => {
  const { archiver, ended } = setup({
    open: () =>
      Promise.reject(
        new ApiException(
          500,
          'Internal Server Error',
          JSON.stringify({
            kind: 'Status',
            code: 500,
            message: 'dial tcp 10.0.0.1:10250: connect: connection refused',
          }),
          {},
        ),
      ),
  });
  archiver.start(runnerPod('app'));
  await ended(1);
  const state = archiver.state('uid-app');
  assert.ok(typeof state === 'object');
  assert.equal(state.kind, 'logs');
  assert.match(state.message, /container furrow-checkout: HTTP 500.*connection refused/);
});
