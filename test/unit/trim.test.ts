import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimPod, trimRun } from '../../src/trim.ts';
import { planRun } from '../../src/resources/pipelinerun/plan.ts';
import {
  at,
  gitImage,
  iso,
  makePod,
  makePool,
  makeRun,
  running,
  terminated,
  withStatus,
} from '../support/builders.ts';

test('an unfinished run is cached whole, minus kubectl’s copy of its spec', () => {
  const run = makeRun({
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":1}', keep: 'me' },
  });
  const trimmed = trimRun(structuredClone(run));
  assert.deepEqual(trimmed.metadata.annotations, { keep: 'me' });
  assert.deepEqual(trimmed.spec, run.spec);
});

test('a finished run keeps what the TTL, the queue and the metrics read, and plans the same', () => {
  const run = withStatus(makeRun({ spec: { ttlSecondsAfterFinished: 60 } }), {
    phase: 'Succeeded',
    reason: 'Succeeded',
    startTime: iso(0),
    completionTime: iso(30),
    steps: [{ name: 'build', state: 'succeeded', exitCode: 0 }],
  });
  const trimmed = trimRun(structuredClone(run));
  assert.deepEqual(trimmed.status, {
    phase: 'Succeeded',
    reason: 'Succeeded',
    startTime: iso(0),
    completionTime: iso(30),
  });
  assert.equal(trimmed.spec.pool, run.spec.pool);
  assert.equal(trimmed.spec.ttlSecondsAfterFinished, 60);
  const config = {
    defaultTtlSeconds: undefined,
    defaultPendingTimeoutMs: 1,
    maxInfrastructureRetries: 1,
    gitImage,
  };
  for (const now of [at(40), at(100)]) {
    const full = planRun({ run, pool: makePool(), pods: [], admission: { state: 'admitted' }, now, config });
    const small = planRun({
      run: trimmed,
      pool: makePool(),
      pods: [],
      admission: { state: 'admitted' },
      now,
      config,
    });
    assert.deepEqual(small.actions, full.actions, 'same actions (TTL)');
    assert.equal(small.requeueAfterMs, full.requeueAfterMs);
    assert.deepEqual(small.status, trimmed.status, 'no status write for a finished run');
  }
});

test('a runner pod keeps what the plan reads, and the plan decides the same from it', () => {
  const run = withStatus(makeRun(), { phase: 'Running', attempt: 1, podName: 'app-1', startTime: iso(0) });
  const pool = makePool();
  const config = {
    defaultTtlSeconds: undefined,
    defaultPendingTimeoutMs: 300_000,
    maxInfrastructureRetries: 1,
    gitImage,
  };
  const pods = [
    makePod(run, {
      created: 0,
      nodeName: 'n1',
      states: { 'furrow-checkout': terminated(0, 1, 2), build: running(3) },
    }),
    makePod(run, {
      created: 0,
      nodeName: 'n1',
      phase: 'Failed',
      states: {
        'furrow-checkout': terminated(0, 1, 2),
        build: terminated(0, 3, 9),
        test: terminated(3, 9, 12),
      },
    }),
  ];
  for (const pod of pods) {
    const trimmed = trimPod(structuredClone(pod));
    assert.equal(trimmed.spec?.volumes, undefined);
    assert.equal(trimmed.spec?.containers[0]?.command, undefined);
    const full = planRun({ run, pool, pods: [pod], admission: { state: 'admitted' }, now: at(20), config });
    const small = planRun({
      run,
      pool,
      pods: [trimmed],
      admission: { state: 'admitted' },
      now: at(20),
      config,
    });
    assert.deepEqual(small, full);
  }
});
