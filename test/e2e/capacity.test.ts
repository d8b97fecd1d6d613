// Admission that knows capacity (ADR 9), on the real API server and scheduler with kwok nodes:
// runs wait Queued for room instead of as Pending pods that fail Unschedulable, a run too big
// for any node fails at once, and maxRunsPerNode holds on every node, watched pod by pod.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PipelineRun } from '../../src/resources/types.ts';
import { furrowEnv, sim } from '../support/env.ts';
import { testImage } from '../support/images.ts';
import { waitFor } from '../support/kube.ts';
import { recordPods, type PodEvent } from '../support/pod-watch.ts';

/** One step that asks for `cpu` cores. */
const needing = (cpu: string) => ({
  image: testImage,
  steps: [{ name: 'build', script: 'make' }],
  resources: { requests: { cpu } },
});
const name = (i: number) => `r${String(i).padStart(2, '0')}`;

/** The most unfinished pods bound to one node at the same moment, per node, from a pod watch. */
function peakPerNode(events: readonly PodEvent[]): Map<string, number> {
  const on = new Map<string, string>(); // pod → node, while it is unfinished and bound
  const peak = new Map<string, number>();
  for (const e of events) {
    const key = `${e.namespace}/${e.name}`;
    const done = e.type === 'DELETED' || e.phase === 'Succeeded' || e.phase === 'Failed';
    if (done) on.delete(key);
    else if (e.nodeName) on.set(key, e.nodeName);
    const counts = new Map<string, number>();
    for (const node of on.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    for (const [node, n] of counts) peak.set(node, Math.max(peak.get(node) ?? 0, n));
  }
  return peak;
}

test('a pool with no limits runs only what fits: 30 runs of 2 cpu on three 4-cpu nodes, never more than 6 pods, the rest Queued in order, none Unschedulable', async (t) => {
  const env = await furrowEnv(t, { nodes: 3, nodeCpu: '4' });
  const pods = await recordPods(t, [env.namespace]);
  for (let i = 0; i < 30; i++) await env.createRun(name(i), needing('2'), { annotations: sim('2s') });
  // The queue really formed: a run waits Queued for room, with its place in line.
  const queued = await waitFor('a run to wait Queued for room', async () => {
    for (let i = 29; i >= 6; i--) {
      const run = await env.run(name(i));
      if (run.status?.phase === 'Queued' && run.status.reason === 'PoolAtCapacity') return run;
    }
    return undefined;
  });
  assert.match(queued.status?.message ?? '', /no ready node has room for cpu 2/);
  assert.ok((queued.status?.queuePosition ?? 0) >= 1, 'a queued run has a position');
  const finished: PipelineRun[] = [];
  for (let i = 0; i < 30; i++)
    finished.push(await env.waitForPhase(name(i), 'Succeeded', { timeoutMs: 180_000 }));
  assert.equal(pods.createdPods().length, 30, 'one pod per run: no retries');
  assert.ok(pods.maxConcurrent() > 0, 'the watch saw pods');
  assert.ok(pods.maxConcurrent() <= 6, `at most 6 runner pods at once, saw ${pods.maxConcurrent()}`);
  for (const run of finished) {
    assert.equal(run.status?.attempt, 1, `${run.metadata.name} ran once`);
    assert.ok(
      !run.status?.attempts?.some((a) => a.reason === 'Unschedulable'),
      `${run.metadata.name} was never Unschedulable`,
    );
  }
  // Admitted in queue order (FIFO here: one namespace, one priority). Runs admitted together,
  // when several slots free at once, are created by parallel workers in any order, so a run
  // may overtake others of its batch, but never by 6 places or more.
  const order = pods.order().map((pod) => Number(pod.slice(1, 3)));
  order.forEach((run, position) => {
    assert.ok(Math.abs(run - position) < 6, `run ${name(run)} started ${position + 1}th: ${order.join(' ')}`);
  });
});

test('a run that asks for more than any node of its pool has fails at once, naming its request and the largest node', async (t) => {
  const env = await furrowEnv(t, { nodes: 2, nodeCpu: '4' });
  const started = Date.now();
  await env.createRun('huge', needing('16'), { annotations: sim('1s') });
  const failed = await env.waitForPhase('huge', 'Failed', { timeoutMs: 30_000 });
  assert.equal(failed.status?.reason, 'RequestsExceedNodes');
  assert.match(
    failed.status?.message ?? '',
    new RegExp(
      `it requests cpu 16, more than any node of the pool has: the largest, e2e-${env.id}-[01], has 4 allocatable`,
    ),
  );
  assert.ok(Date.now() - started < 30_000, 'at once, not after a pending timeout');
  assert.equal(failed.status?.attempt, undefined, 'no attempt was made: no pod');
  // A run that fits still runs on the same pool.
  await env.createRun('fits', needing('3'), { annotations: sim('200ms') });
  await env.waitForPhase('fits', 'Succeeded', { timeoutMs: 60_000 });
});

test('maxRunsPerNode 1: never two of the pool’s runner pods on one node, each pinned to its node', async (t) => {
  const env = await furrowEnv(t, { nodes: 3, pool: { maxRunsPerNode: 1 } });
  const pods = await recordPods(t, [env.namespace]);
  for (let i = 0; i < 9; i++) await env.createRun(name(i), needing('1'), { annotations: sim('1s') });
  for (let i = 0; i < 9; i++) await env.waitForPhase(name(i), 'Succeeded', { timeoutMs: 120_000 });
  const peak = peakPerNode(pods.events);
  assert.deepEqual(
    [...peak.keys()].sort(),
    [...env.nodeNames].sort(),
    'every node of the pool ran runs (the watch saw them bound)',
  );
  for (const [node, n] of peak) assert.equal(n, 1, `${node} held ${n} runner pods at once`);
  // The pin: each pod ran on the node its required affinity named.
  for (const [pod, node] of pods.placements()) {
    const live = await env.podOf(pod.split('/')[1] ?? '');
    if (!live) continue; // a finished pod may be gone with its run's TTL; the watch saw where
    const terms =
      live.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    assert.deepEqual(terms?.[0]?.matchFields?.[0]?.values, [node], `${pod} is pinned to ${node}`);
  }
});
