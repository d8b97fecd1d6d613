import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../src/kube/json.ts';
import { logsFinalizer } from '../../../../src/resources/api.ts';
import { decideArchive, logContainers, podLogRef } from '../../../../src/resources/logs/archive-plan.ts';

const now = Date.parse('2026-12-02T12:00:00Z');
const deadlineMs = 300_000;

function pod(opts: {
  finalizer?: boolean;
  phase?: string;
  deletedAgoMs?: number;
  running?: boolean;
  attempt?: string;
}): Pod {
  return {
    metadata: {
      name: 'build-1',
      namespace: 'ci',
      labels: opts.attempt === '' ? {} : { 'furrow.dev/attempt': opts.attempt ?? '1' },
      ownerReferences: [
        {
          apiVersion: 'furrow.dev/v1alpha1',
          kind: 'PipelineRun',
          name: 'build',
          uid: 'u-1',
          controller: true,
        },
      ],
      ...(opts.finalizer === false ? {} : { finalizers: [logsFinalizer] }),
      ...(opts.deletedAgoMs !== undefined
        ? { deletionTimestamp: new Date(now - opts.deletedAgoMs).toISOString() }
        : {}),
    },
    spec: { containers: [{ name: 'test' }] },
    status: {
      phase: opts.phase ?? 'Running',
      containerStatuses: [
        {
          name: 'test',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: opts.running === false ? { terminated: { exitCode: 137 } } : { running: {} },
        },
      ],
    },
  };
}

test('decideArchive: the rules in order', () => {
  const cases: [string, Parameters<typeof decideArchive>[0], ReturnType<typeof decideArchive>][] = [
    [
      'no finalizer: not ours',
      {
        pod: pod({ finalizer: false, phase: 'Succeeded' }),
        archived: false,
        storeConfigured: true,
        now,
        deadlineMs,
      },
      { action: 'none' },
    ],
    [
      'no store, deleting: released',
      { pod: pod({ deletedAgoMs: 0 }), archived: false, storeConfigured: false, now, deadlineMs },
      { action: 'release', late: false },
    ],
    [
      'no store, not deleting: left alone',
      { pod: pod({ phase: 'Succeeded' }), archived: false, storeConfigured: false, now, deadlineMs },
      { action: 'none' },
    ],
    [
      'archived, deleting: released',
      {
        pod: pod({ phase: 'Failed', deletedAgoMs: 0 }),
        archived: true,
        storeConfigured: true,
        now,
        deadlineMs,
      },
      { action: 'release', late: false },
    ],
    [
      'archived, kept: finalizer stays',
      { pod: pod({ phase: 'Succeeded' }), archived: true, storeConfigured: true, now, deadlineMs },
      { action: 'none' },
    ],
    [
      'deadline passed: released late',
      { pod: pod({ deletedAgoMs: deadlineMs }), archived: false, storeConfigured: true, now, deadlineMs },
      { action: 'release', late: true },
    ],
    [
      'running, not deleting: wait for a change',
      { pod: pod({}), archived: false, storeConfigured: true, now, deadlineMs },
      { action: 'wait' },
    ],
    [
      'running, deleting: look again soon',
      { pod: pod({ deletedAgoMs: 1000 }), archived: false, storeConfigured: true, now, deadlineMs },
      { action: 'wait', recheckMs: 2000 },
    ],
    [
      'killed after deletion: archive',
      {
        pod: pod({ deletedAgoMs: 1000, running: false }),
        archived: false,
        storeConfigured: true,
        now,
        deadlineMs,
      },
      { action: 'archive' },
    ],
    [
      'finished: archive',
      {
        pod: pod({ phase: 'Succeeded', running: false }),
        archived: false,
        storeConfigured: true,
        now,
        deadlineMs,
      },
      { action: 'archive' },
    ],
    [
      'no attempt label, deleting: released',
      {
        pod: pod({ phase: 'Failed', attempt: '', deletedAgoMs: 0 }),
        archived: false,
        storeConfigured: true,
        now,
        deadlineMs,
      },
      { action: 'release', late: false },
    ],
  ];
  for (const [name, input, want] of cases) assert.deepEqual(decideArchive(input), want, name);
});

test('logContainers: checkout, the steps in order, then the services', () => {
  const p = {
    metadata: {},
    spec: {
      initContainers: [
        { name: 'postgres', restartPolicy: 'Always' },
        { name: 'furrow-checkout' },
        { name: 'deps' },
        { name: 'build' },
      ],
      containers: [{ name: 'test' }],
    },
  } as Pod;
  assert.deepEqual(logContainers(p), [
    { name: 'furrow-checkout', role: 'checkout', ordinal: 0 },
    { name: 'deps', role: 'step', ordinal: 1 },
    { name: 'build', role: 'step', ordinal: 2 },
    { name: 'test', role: 'step', ordinal: 3 },
    { name: 'postgres', role: 'service', ordinal: 4 },
  ]);
});

test('podLogRef: the run from the controller reference, the attempt from its label', () => {
  assert.deepEqual(podLogRef(pod({ attempt: '3' })), {
    namespace: 'ci',
    name: 'build',
    uid: 'u-1',
    attempt: 3,
  });
  assert.equal(podLogRef(pod({ attempt: 'x' })), undefined);
});
