// The order of the PipelineRun reconciler's writes, with a fake writer. Rule: a pod the plan
// deletes (timed out, cancelled, stuck) is deleted only once the status that explains it is
// written, so a crash between the two never loses the evidence that the attempt ran (else the
// next leader starts the run over with a second pod of that name; the leader-kill chaos test,
// test/e2e/chaos-operator.test.ts, also guards it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../src/kube/json.ts';
import type { PipelineRun } from '../../../src/resources/types.ts';
import { at, iso, makePod, makeRun, running } from '../../support/builders.ts';
import { FakePipelineRunWriter, pipelineRunReconciler } from '../../support/fake-writers.ts';

interface Harness {
  calls: string[];
  reconcile: () => Promise<unknown>;
}

function harness(run: PipelineRun, pods: Pod[], failStatusWrite: boolean): Harness {
  const writer = new FakePipelineRunWriter();
  if (failStatusWrite)
    writer.statusResult = () => {
      throw new Error('the API server went away');
    };
  const { reconcile } = pipelineRunReconciler({ writer, runs: [run], pods, now: at(4000) });
  const key = `${run.metadata.namespace ?? ''}/${run.metadata.name ?? ''}`;
  return { calls: writer.calls, reconcile: () => reconcile(key) };
}

/** Running since T0+10 s with a 1 h timeout; at T0+4000 s it has timed out. */
function timedOutRun(): [PipelineRun, Pod[]] {
  const base = makeRun({ created: 0 });
  const pod = makePod(base, {
    created: 5,
    phase: 'Running',
    nodeName: 'peasant-0',
    states: { 'furrow-checkout': running(10) },
  });
  const run = makeRun({
    created: 0,
    status: { phase: 'Running', reason: 'Running', attempt: 1, podName: 'app-1', startTime: iso(5) },
  });
  return [run, [pod]];
}

test('a timed-out run: its status is written TimedOut first, then its pod is deleted', async () => {
  const [run, pods] = timedOutRun();
  const h = harness(run, pods, false);
  await h.reconcile();
  assert.deepEqual(h.calls, ['write status TimedOut', 'delete pod app-1']);
});

test('when the status can’t be written, the pod is left alone for the next reconcile to decide', async () => {
  const [run, pods] = timedOutRun();
  const h = harness(run, pods, true);
  await assert.rejects(h.reconcile(), /went away/);
  assert.deepEqual(h.calls, ['write status TimedOut'], 'no pod deleted before its status was written');
});
