// The order of the PipelineRun reconciler's writes, with fake clients: a pod the plan deletes
// (timed out, cancelled, stuck) is deleted only once the status that explains it is written.
// Deleted first, a crash before the write erased the only evidence that the attempt ran, and
// the next leader started the run over as attempt 1 with a second pod of the same name (found
// by the leader-kill chaos test, test/e2e/chaos-operator.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cache } from '../../../src/kube/cache.ts';
import type { KubeClients } from '../../../src/kube/client.ts';
import type { EventRecorder } from '../../../src/kube/events.ts';
import type { Pod } from '../../../src/kube/json.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { PipelineRunReconciler } from '../../../src/reconcilers/pipelinerun.ts';
import type { NodePool, PipelineRun } from '../../../src/resources/types.ts';
import { at, iso, makePod, makePool, makeRun, planConfig, running } from '../../support/builders.ts';

function cacheOf<T extends { metadata?: { name?: string } }>(items: T[]): Cache<T> {
  return {
    get: (name: string) => items.find((i) => i.metadata?.name === name),
    list: () => items,
    byIndex: () => items,
  } as unknown as Cache<T>;
}

interface Harness {
  calls: string[];
  reconcile: () => Promise<unknown>;
}

function harness(run: PipelineRun, pods: Pod[], failStatusWrite: boolean): Harness {
  const calls: string[] = [];
  const clients = {
    core: {
      createNamespacedPod: () => {
        calls.push('create pod');
        return Promise.resolve({});
      },
      deleteNamespacedPod: ({ name }: { name: string }) => {
        calls.push(`delete pod ${name}`);
        return Promise.resolve({});
      },
    },
    custom: {
      patchNamespacedCustomObjectStatus: ({ body }: { body: { status: { phase?: string } } }) => {
        calls.push(`write status ${body.status.phase ?? ''}`);
        if (failStatusWrite) return Promise.reject(new Error('the API server went away'));
        return Promise.resolve({ ...run, metadata: { ...run.metadata }, status: body.status });
      },
      deleteNamespacedCustomObject: () => {
        calls.push('delete run');
        return Promise.resolve({});
      },
    },
  } as unknown as KubeClients;
  const reconciler = new PipelineRunReconciler({
    clients,
    runs: cacheOf([run]),
    pods: cacheOf(pods),
    pools: cacheOf<NodePool>([makePool()]),
    queues: { admission: () => ({ state: 'admitted' }), reserve: () => undefined, release: () => undefined },
    recorder: { record: () => undefined } as unknown as EventRecorder,
    config: planConfig,
    metrics: new Metrics(),
    clock: () => at(4000),
  });
  const key = `${run.metadata.namespace ?? ''}/${run.metadata.name ?? ''}`;
  return { calls, reconcile: () => reconciler.reconcile(key, { log: silentLogger(), retries: 0 }) };
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
