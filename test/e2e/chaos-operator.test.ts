// Chaos: the operator process dies at random moments (kill -9) while runs flow, alone or as the
// leader of two replicas. Every run must still end exactly once in the phase its spec calls
// for, with exactly one pod per attempt, each on a node of its pool. FURROW_CHAOS_RUNS scales
// the runs (CI default below; `make chaos` runs more); FURROW_CHAOS_SEED replays a run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  between,
  chaosScale,
  chaosSeed,
  Gate,
  judge,
  seededRandom,
  sleep,
  startFlow,
} from '../support/chaos.ts';
import { waitFor } from '../support/kube.ts';
import { coordinationApi } from '../support/leases.ts';
import type { OperatorProcess } from '../support/operator.ts';

const runsInCi = 60;

test('kill -9 the operator at random moments while runs flow: every run ends once, rightly, one pod per attempt', async (t) => {
  const seed = chaosSeed(t);
  const count = chaosScale('FURROW_CHAOS_RUNS', runsInCi);
  const startedAt = Date.now();
  // About one kill per five runs, at least 8. Each life gets a batch of fresh runs as it starts,
  // so it always has work to do.
  const kills = Math.max(8, Math.ceil(count / 5));
  const gate = new Gate();
  const flow = await startFlow(t, seed, count, gate);
  const random = seededRandom(seed + 2);
  const operators: OperatorProcess[] = [];
  let createdAll = false;
  void flow.created.then(() => (createdAll = true));
  // Each life is killed 0.3-5 s after it starts, but not before it is ready and has done work
  // (created a pod or written a status): a life killed before that proves nothing. Sometimes
  // there is a pause before the restart (pods finish while nobody watches).
  const deadline = Date.now() + 30 * 60_000;
  const idle: string[] = [];
  let injected = 0;
  while ((injected < kills || !createdAll) && Date.now() < deadline) {
    const name = `life-${injected}`;
    const op = await flow.env.startOperator({ name, waitReady: false });
    operators.push(op);
    gate.allow(Math.ceil(count / kills));
    const killAt = Date.now() + between(random, 300, 5000);
    let ready = false;
    const worked = () =>
      op.logs.some((l) => l.message === 'created runner pod' || l.message === 'status written');
    await waitFor(
      `${name} to be ready and do work`,
      async () => {
        if (op.diedOnItsOwn()) return true; // judged below
        ready ||= await op.ready();
        return ready && worked();
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch(() => undefined);
    if (!ready || !worked()) idle.push(`${name} (pid ${op.pid}): ready ${ready}, worked ${worked()}`);
    if (op.diedOnItsOwn()) break; // judge() fails the test, naming it
    await sleep(Math.max(0, killAt - Date.now()));
    await op.kill();
    injected++;
    if (random() < 0.3) await sleep(between(random, 0, 3000));
  }
  gate.allow(count);
  await flow.created;
  operators.push(await flow.env.startOperator({ name: 'last' }));
  await judge(t, flow, operators, `${injected} kill -9 of the operator`, startedAt);
  assert.deepEqual(idle, [], 'operator lives killed before they were ready and had done work');
  assert.ok(injected >= kills, `${injected} kills injected, ${kills} planned`);
});

function electionArgs(lease: string, namespace: string, identity: string): string[] {
  return [
    '--leader-elect',
    '--lease-name',
    lease,
    '--lease-namespace',
    namespace,
    '--instance',
    identity,
    // Short terms so that a test can kill many leaders: takeover within ~4 s.
    '--lease-duration',
    '4s',
    '--renew-deadline',
    '3s',
    '--retry-period',
    '1s',
  ];
}

test('two replicas, the leader killed again and again while runs flow: never two pods for one attempt', async (t) => {
  const seed = chaosSeed(t);
  const count = chaosScale('FURROW_CHAOS_RUNS', runsInCi);
  const startedAt = Date.now();
  const flow = await startFlow(t, seed, count);
  const { env } = flow;
  const random = seededRandom(seed + 3);
  const lease = `chaos-${env.id}`;
  const replicas = new Map<string, OperatorProcess>();
  const operators: OperatorProcess[] = [];
  let next = 0;
  const startReplica = async () => {
    const identity = `replica-${next++}`;
    const op = await env.startOperator({
      name: identity,
      args: electionArgs(lease, env.namespace, identity),
    });
    replicas.set(identity, op);
    operators.push(op);
  };
  await startReplica();
  await startReplica();
  const holder = async () =>
    (await coordinationApi().readNamespacedLease({ name: lease, namespace: env.namespace })).spec
      ?.holderIdentity ?? '';

  const kills = Math.max(4, Math.ceil(count / 12));
  const deadline = Date.now() + 30 * 60_000;
  let injected = 0;
  while (injected < kills && Date.now() < deadline) {
    // Let the current leader work for a while, then kill it and start a fresh replica.
    await sleep(between(random, 2000, 8000));
    const leader = await holder().catch(() => '');
    const op = replicas.get(leader);
    if (!op) continue; // between leaders: try again later
    await op.kill();
    replicas.delete(leader);
    injected++;
    await startReplica();
  }
  await flow.created;
  await judge(t, flow, operators, `${injected} kill -9 of the leader (of 2 replicas)`, startedAt);
  assert.ok(injected >= kills, `${injected} kills of the leader injected, ${kills} planned`);
});
