// Leader election on a fake clock and an in-memory Lease. The rules: a lease held by another
// is taken over only once its record has not changed for the holder's leaseDurationSeconds
// (on our clock); a leader that can't renew for renewDeadline stops leading, and a renew
// request that hangs is aborted in time for that (before the lease could expire for others).
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { KubeClients } from '../../../src/kube/client.ts';
import { LeaderElector, leaseApi, type LeaseApi } from '../../../src/kube/leader-election.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { kubeConfigFor } from '../../support/local-kubeconfig.ts';

const config = {
  name: 'furrow',
  namespace: 'furrow-system',
  identity: 'me',
  leaseDurationMs: 10_000,
  renewDeadlineMs: 7_000,
  retryPeriodMs: 2_000,
};

/** One Lease in memory, with resourceVersions; requests can be made to fail or to hang. */
class MemoryLease implements LeaseApi {
  lease: k8s.V1Lease | undefined;
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  requests = 0;
  private version = 0;

  read(): Promise<k8s.V1Lease> {
    return this.answer(() => {
      if (!this.lease) throw new k8s.ApiException(404, 'not found', { reason: 'NotFound' }, {});
      return this.lease;
    });
  }
  create(lease: k8s.V1Lease): Promise<k8s.V1Lease> {
    return this.answer(() => this.store(lease));
  }
  replace(lease: k8s.V1Lease, signal: AbortSignal): Promise<k8s.V1Lease> {
    return this.answer(() => {
      if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion)
        throw new k8s.ApiException(409, 'conflict', { reason: 'Conflict' }, {});
      return this.store(lease);
    }, signal);
  }
  /** Another process holds the lease and renews it (or not). */
  heldBy(holder: string, leaseDurationSeconds: number, renewTime = 0): void {
    this.store({
      metadata: { name: config.name, namespace: config.namespace },
      spec: { holderIdentity: holder, leaseDurationSeconds, renewTime: new k8s.V1MicroTime(renewTime) },
    });
  }
  private store(lease: k8s.V1Lease): k8s.V1Lease {
    this.lease = {
      spec: lease.spec,
      metadata: {
        name: lease.metadata?.name,
        namespace: lease.metadata?.namespace,
        resourceVersion: String(++this.version),
      },
    };
    return this.lease;
  }
  private answer<T>(result: () => T, signal?: AbortSignal): Promise<T> {
    this.requests++;
    if (this.mode === 'fail') return Promise.reject(new k8s.ApiException(500, 'boom', {}, {}));
    if (this.mode === 'hang')
      return new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    return Promise.resolve().then(result);
  }
}

function elector(api: MemoryLease, clock: FakeClock) {
  const events: string[] = [];
  const e = new LeaderElector(
    api,
    config,
    silentLogger(),
    {
      onStartedLeading: () => events.push(`started at ${clock.now()}`),
      onStoppedLeading: () => events.push(`stopped at ${clock.now()}`),
    },
    clock,
  );
  return { e, events };
}

test('a candidate creates a missing Lease and leads, then renews every retry period', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(0);
  assert.deepEqual(events, ['started at 0']);
  assert.equal(api.lease?.spec?.holderIdentity, 'me');
  assert.equal(api.lease?.spec?.leaseDurationSeconds, 10);
  const before = api.requests;
  await clock.advance(6_000);
  assert.equal(api.requests - before, 3, 'one request a renewal, every 2 s');
  assert.ok(e.isLeader());
  await e.stop();
});

test('a lease held by another is taken over once it has not changed for its duration', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  api.heldBy('other', 10);
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(9_000);
  assert.deepEqual(events, [], 'not before the holder’s 10 s have passed on our clock');
  await clock.advance(4_000);
  assert.equal(events.length, 1);
  assert.equal(api.lease?.spec?.holderIdentity, 'me');
  assert.equal(api.lease?.spec?.leaseTransitions, 1);
  await e.stop();
});

test('a holder that keeps renewing keeps its lease', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  api.heldBy('other', 10);
  const { e, events } = elector(api, clock);
  e.start();
  for (let t = 1; t <= 30; t++) {
    await clock.advance(1_000);
    if (t % 3 === 0) api.heldBy('other', 10, t * 1000);
  }
  assert.deepEqual(events, []);
  await e.stop();
});

test('the holder’s leaseDurationSeconds counts, not ours', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  api.heldBy('other', 30);
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(20_000);
  assert.deepEqual(events, [], 'our 10 s lease duration has passed, the holder’s 30 s have not');
  await clock.advance(13_000);
  assert.equal(events.length, 1);
  await e.stop();
});

test('a leader whose renewals fail stops leading at the renew deadline, before the lease ends', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(2_000); // renewed at 2 s
  api.mode = 'fail';
  await clock.advance(20_000);
  assert.equal(events.length, 2, events.join(', '));
  const stoppedAt = Number(events[1]?.split(' at ')[1]);
  assert.ok(stoppedAt >= 2_000 + config.renewDeadlineMs, `stopped at ${stoppedAt}`);
  assert.ok(stoppedAt < 2_000 + config.leaseDurationMs, `stopped at ${stoppedAt}`);
  await e.stop();
});

test('a renew request that hangs is aborted at the renew deadline, and the leader stops leading', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(2_000); // renewed at 2 s
  api.mode = 'hang';
  await clock.advance(config.renewDeadlineMs + 1_000);
  assert.deepEqual(events, ['started at 0', `stopped at ${2_000 + config.renewDeadlineMs}`]);
  assert.ok(!e.isLeader());
  await e.stop();
});

test('on stop, the leader releases the lease so a standby need not wait for it to expire', async () => {
  const clock = new FakeClock();
  const api = new MemoryLease();
  const { e, events } = elector(api, clock);
  e.start();
  await clock.advance(0);
  await e.stop();
  assert.equal(api.lease?.spec?.holderIdentity, '');
  assert.equal(events.length, 2);
});

test('through client-node, a Lease request is aborted by its signal (no 30 s client timeout)', async (t) => {
  let received = 0;
  const server = createServer(() => received++); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const kc = kubeConfigFor(`http://127.0.0.1:${port}`);
  const clients = new KubeClients(kc, new Metrics(), { qps: 100, burst: 100, timeoutMs: 30_000 });
  const started = Date.now();
  // 1 s, not less: on a loaded machine (an e2e suite beside it) the request may take a few
  // hundred ms to reach the server, and the test is about the abort, not about speed.
  await assert.rejects(leaseApi(clients.coordination).read('furrow', 'default', AbortSignal.timeout(1_000)), {
    name: 'TimeoutError',
  });
  const took = Date.now() - started;
  assert.equal(received, 1, 'the request reached the server');
  assert.ok(took >= 900 && took < 10_000, `took ${took} ms`);
  await kc.closeConnections();
});
