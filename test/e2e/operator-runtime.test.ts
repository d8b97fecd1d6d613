// The operator as a process an SRE runs: leader election between replicas, metrics, clean
// shutdown, and riding out an API server outage without restarting.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { furrowEnv, sim } from '../support/env.ts';
import { kubectl, waitFor } from '../support/kube.ts';
import { testImage } from '../support/images.ts';
import { clusterScripts } from '../support/paths.ts';
import { recordPods } from '../support/pod-watch.ts';
import { coordinationApi } from '../support/leases.ts';

const quick = { image: testImage, steps: [{ name: 'build', script: 'sleep 2' }] };

function electionArgs(lease: string, namespace: string, identity: string): string[] {
  return ['--leader-elect', '--lease-name', lease, '--lease-namespace', namespace, '--instance', identity];
}

test('two replicas: only the leader acts; kill -9 the leader and the standby takes over within 15 s, no duplicate pod', async (t) => {
  const env = await furrowEnv(t, { operator: false });
  const lease = `e2e-${env.id}`;
  const a = await env.startOperator({ name: 'a', args: electionArgs(lease, env.namespace, 'replica-a') });
  const holder = await waitFor('a leader', async () => {
    const l = await coordinationApi().readNamespacedLease({ name: lease, namespace: env.namespace });
    return l.spec?.holderIdentity || undefined;
  });
  assert.equal(holder, 'replica-a');
  const b = await env.startOperator({ name: 'b', args: electionArgs(lease, env.namespace, 'replica-b') });
  const pods = await recordPods(t, [env.namespace]);

  for (let i = 0; i < 3; i++) await env.createRun(`ha-${i}`, quick, { annotations: sim('6s') });
  for (let i = 0; i < 3; i++) await env.waitForPhase(`ha-${i}`, 'Running');
  const created = (p: typeof a) => p.logs.filter((l) => l.message === 'created runner pod').length;
  assert.equal(created(a), 3, 'the leader created the pods');
  assert.equal(created(b), 0, 'the standby did nothing');

  await a.kill();
  const killedAt = Date.now();
  await waitFor(
    'the standby to lead',
    async () =>
      (await coordinationApi().readNamespacedLease({ name: lease, namespace: env.namespace })).spec
        ?.holderIdentity === 'replica-b',
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  const takeover = Date.now() - killedAt;
  t.diagnostic(`takeover after ${takeover} ms`);
  assert.ok(takeover <= 15_000, `took over in ${takeover} ms`);
  for (let i = 0; i < 3; i++) await env.waitForPhase(`ha-${i}`, 'Succeeded', { timeoutMs: 60_000 });
  await env.createRun('after', quick, { annotations: sim('200ms') });
  await env.waitForPhase('after', 'Succeeded');
  assert.deepEqual(pods.order().sort(), ['after-1', 'ha-0-1', 'ha-1-1', 'ha-2-1']);
});

test('SIGTERM: the leader finishes in-flight work, releases the Lease and exits 0 within 10 s', async (t) => {
  const env = await furrowEnv(t, { operator: false });
  const lease = `e2e-${env.id}`;
  const op = await env.startOperator({ args: electionArgs(lease, env.namespace, 'only') });
  await waitFor('leadership', () => Promise.resolve(op.logs.some((l) => l.message === 'became the leader')));
  await env.createRun('busy', quick, { annotations: sim('200ms') });
  await env.waitForPhase('busy', 'Succeeded');
  const started = Date.now();
  const code = await op.stop(10_000);
  const took = Date.now() - started;
  assert.equal(code, 0);
  assert.ok(took < 10_000, `exited in ${took} ms`);
  const released = await coordinationApi().readNamespacedLease({ name: lease, namespace: env.namespace });
  assert.equal(released.spec?.holderIdentity, '', 'the lease is released');
  assert.ok(op.logs.some((l) => l.message === 'released the lease'));
});

test('/metrics exposes the operator’s families with sane values after a few runs', async (t) => {
  const env = await furrowEnv(t);
  for (let i = 0; i < 3; i++) await env.createRun(`m-${i}`, quick, { annotations: sim('200ms') });
  for (let i = 0; i < 3; i++) await env.waitForPhase(`m-${i}`, 'Succeeded');
  const text = await waitFor('pool gauges', async () => {
    const body = (await env.operator?.metrics()) ?? '';
    return body.includes(`furrow_nodepool_nodes{pool="${env.poolName}"} 2`) ? body : undefined;
  });
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
  assert.ok(value(/furrow_reconcile_total\{controller="pipelinerun",result="success"\} (\d+)/) >= 3);
  assert.ok(value(/furrow_reconcile_duration_seconds_count\{controller="pipelinerun"\} (\d+)/) >= 3);
  assert.equal(value(/furrow_pipelineruns\{phase="Succeeded"\} (\d+)/), 3);
  assert.equal(value(/furrow_pipelinerun_duration_seconds_count\{pool="[^"]+",phase="Succeeded"\} (\d+)/), 3);
  assert.equal(value(/furrow_pipelinerun_queue_wait_seconds_count\{pool="[^"]+"\} (\d+)/), 3);
  assert.ok(value(/furrow_api_requests_total\{verb="create",resource="pods",code="201"\} (\d+)/) >= 3);
  assert.ok(
    value(/furrow_api_requests_total\{verb="patch",resource="pipelineruns\/status",code="200"\} (\d+)/) >= 6,
  );
  assert.ok(value(/furrow_workqueue_adds_total\{controller="pipelinerun"\} (\d+)/) >= 3);
  assert.match(text, /furrow_workqueue_depth\{controller="pipelinerun"\} \d+/);
  assert.match(text, /furrow_workqueue_wait_seconds_bucket/);
  assert.match(text, new RegExp(`furrow_nodepool_ready_nodes\\{pool="${env.poolName}"\\} 2`));
  assert.match(text, /furrow_informer_events_total\{kind="PipelineRun",type="add"\}/);
  assert.match(text, /# TYPE furrow_informer_restarts_total counter/);
  assert.match(text, /furrow_leader 1/);
  assert.ok(value(/process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/) > 10e6);
  assert.match(text, /nodejs_eventloop_lag_p99_seconds/);
});

test('/loglevel changes the log level at run time', async (t) => {
  const env = await furrowEnv(t, { operator: { args: ['--log-level', 'info'] } });
  const url = `http://127.0.0.1:${env.operator?.healthPort ?? 0}/loglevel`;
  assert.equal((await (await fetch(url)).text()).trim(), 'info');
  assert.equal((await fetch(url, { method: 'PUT', body: 'loud' })).status, 400);
  assert.equal((await fetch(url, { method: 'PUT', body: 'debug' })).status, 200);
  assert.equal((await (await fetch(url)).text()).trim(), 'debug');
});

test('the API server stops for 20 s: the operator waits, recovers and finishes the runs without restarting', async (t) => {
  const env = await furrowEnv(t);
  const component = path.join(clusterScripts, 'component.sh');
  t.after(() => execFileSync(component, ['start', 'kube-apiserver'], { stdio: 'ignore' }));
  for (let i = 0; i < 3; i++) await env.createRun(`outage-${i}`, quick, { annotations: sim('3s') });
  for (let i = 0; i < 3; i++) await env.waitForPhase(`outage-${i}`, 'Running');
  const pid = env.operator?.pid;

  execFileSync(component, ['stop', 'kube-apiserver'], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 20_000));
  execFileSync(component, ['start', 'kube-apiserver'], { stdio: 'ignore' });
  await waitFor('the API server', () => Promise.resolve(kubectl(['get', '--raw', '/readyz']).code === 0), {
    timeoutMs: 60_000,
  });

  for (let i = 0; i < 3; i++) await env.waitForPhase(`outage-${i}`, 'Succeeded', { timeoutMs: 90_000 });
  assert.equal(env.operator?.pid, pid);
  assert.equal(await env.operator?.ready(), true, 'still running and ready');
  const logs = env.operator?.logs ?? [];
  assert.ok(
    logs.some((l) => l.message === 'list/watch failed; restarting'),
    'the outage was noticed and logged',
  );
  // Backoff, not a tight loop: a handful of restarts per informer over 20 s, not hundreds.
  const restarts = logs.filter((l) => l.message === 'list/watch failed; restarting').length;
  assert.ok(restarts < 100, `${restarts} informer restarts`);
  // The operator's part after the outage is prompt: the run is admitted and its pod made.
  await env.createRun('after-outage', quick, { annotations: sim('200ms') });
  await env.waitForRun('after-outage', 'to have a pod', (r) => Boolean(r.status?.podName), {
    timeoutMs: 15_000,
  });
  // Scheduling it is kube-scheduler's: its informers come back on client-go's reflector
  // backoff (up to 30 s, jittered up to twice that), which a slow CI machine can hit in full.
  await env.waitForPhase('after-outage', 'Succeeded', { timeoutMs: 180_000 });
});
