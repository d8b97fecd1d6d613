// Without an object store a finished run says that its logs live only as long as its pods; with
// one, its pods carry the logs finalizer and the run says nothing until an archive fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logsFinalizer } from '../../../../src/resources/api.ts';
import { at } from '../../../support/builders.ts';
import { allDone, fresh, plan, runningRun, testing } from '../pipelinerun/plan/scenarios.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';

test('no store: a finished run carries LogsArchived=False NoObjectStore, a running one nothing', () => {
  const finished = plan({
    run: runningRun,
    now: at(125),
    pods: [allDone(fresh)],
    config: { archiveLogs: false },
  });
  assert.equal(finished.status.phase, 'Succeeded');
  const condition = finished.status.conditions?.find((c) => c.type === 'LogsArchived');
  assert.equal(condition?.status, 'False');
  assert.equal(condition?.reason, 'NoObjectStore');
  const withStore = plan({ run: runningRun, now: at(125), pods: [allDone(fresh)] });
  assert.equal(
    withStore.status.conditions?.find((c) => c.type === 'LogsArchived'),
    undefined,
  );
  const running = plan({
    run: runningRun,
    now: at(60),
    pods: [testing(fresh)],
    config: { archiveLogs: false },
  });
  assert.equal(
    running.status.conditions?.find((c) => c.type === 'LogsArchived'),
    undefined,
  );
});

test('the runner pod carries the logs finalizer exactly when logs are archived', () => {
  const input = { run: makeRun(), pool: makePool(), attempt: 1, remainingMs: 60_000, gitImage };
  assert.deepEqual(buildRunnerPod({ ...input, archiveLogs: true }).metadata?.finalizers, [logsFinalizer]);
  assert.equal(buildRunnerPod(input).metadata?.finalizers, undefined);
});
