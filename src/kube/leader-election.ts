// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
// - a lease is expired when its record hasn't changed for leaseDuration, as observed on this
//   process's own clock (never comparing timestamps written by another machine's clock);
// - the leader renews every retryPeriod; if it can't for renewDeadline, it stops leading at
//   once (renewDeadline < leaseDuration, so it stops before anyone else may start);
// - every request of an attempt is aborted at the renew deadline (a leader's) or after
//   renewDeadline (a candidate's), so a hung request can't keep a leader leading past it: the
//   client's own request timeout (30 s by default) is longer than the lease (10 s);
// - another holder's lease lasts the leaseDurationSeconds it wrote, not ours;
// - on shutdown the leader releases the lease (holder cleared) so a standby takes over now.
// Losing the lease doesn't end the process: it stops reconciling and becomes a candidate again.
// Tests: test/unit/kube/leader-election.test.ts (a fake clock and an in-memory Lease).
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { describeError, isConflict, isNotFound } from './errors.ts';
import type { Logger } from '../observability/logger.ts';

type Lease = k8s.V1Lease;

/** The Lease requests the elector makes; each is aborted when `signal` is. */
export interface LeaseApi {
  read(name: string, namespace: string, signal: AbortSignal): Promise<Lease>;
  create(lease: Lease, signal: AbortSignal): Promise<Lease>;
  replace(lease: Lease, signal: AbortSignal): Promise<Lease>;
}

/** The Lease requests through client-node, each carrying its abort signal. */
export function leaseApi(api: k8s.CoordinationV1Api): LeaseApi {
  const withSignal = (signal: AbortSignal) => ({
    middleware: [
      {
        pre: (request: k8s.RequestContext) => {
          request.setSignal(signal);
          return new k8s.Observable(Promise.resolve(request));
        },
        post: (response: k8s.ResponseContext) => new k8s.Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  });
  const target = (lease: Lease) => ({
    name: lease.metadata?.name ?? '',
    namespace: lease.metadata?.namespace ?? '',
  });
  return {
    read: (name, namespace, signal) => api.readNamespacedLease({ name, namespace }, withSignal(signal)),
    create: (lease, signal) =>
      api.createNamespacedLease({ namespace: target(lease).namespace, body: lease }, withSignal(signal)),
    replace: (lease, signal) =>
      api.replaceNamespacedLease({ ...target(lease), body: lease }, withSignal(signal)),
  };
}

/** Time, for tests to replace. sleep() rejects when `signal` aborts. */
export interface ElectionClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
}

const realClock: ElectionClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, { signal });
  },
  random: () => Math.random(),
};

export interface LeaderElectionConfig {
  name: string;
  namespace: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderCallbacks {
  onStartedLeading: () => void;
  /** Must stop all reconciling synchronously (it may finish asynchronously). */
  onStoppedLeading: () => void;
}

export class LeaderElector {
  private readonly api: LeaseApi;
  private readonly clock: ElectionClock;
  private readonly config: LeaderElectionConfig;
  private readonly log: Logger;
  private readonly callbacks: LeaderCallbacks;
  private leading = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** The lease as we last saw it, and when (our clock) its record last changed. */
  private observed: { record: string; at: number; lease: Lease } | undefined;
  private lastRenew = 0;

  constructor(
    api: LeaseApi,
    config: LeaderElectionConfig,
    log: Logger,
    callbacks: LeaderCallbacks,
    clock: ElectionClock = realClock,
  ) {
    this.api = api;
    this.clock = clock;
    this.config = config;
    this.log = log.child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
    this.callbacks = callbacks;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader stops leading and releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      this.stepDown('shutting down');
      await this.release();
    }
  }

  private async run(): Promise<void> {
    this.log.info('campaigning for leadership');
    while (!this.stopped) {
      const ok = await this.attempt();
      const now = this.clock.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.log.info('became the leader');
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew >= this.config.renewDeadlineMs) {
        this.stepDown(`could not renew the lease for ${this.config.renewDeadlineMs} ms`);
      }
      const jitter = this.leading ? 1 : 1 + this.clock.random() * 0.2;
      await this.clock.sleep(this.config.retryPeriodMs * jitter, this.abort.signal).catch(() => undefined);
    }
  }

  /**
   * One try to acquire or renew, its requests aborted at the leader's renew deadline (or after
   * renewDeadline for a candidate): a renew that hangs fails in time for the leader to step
   * down before its lease can expire for the others.
   */
  private async attempt(): Promise<boolean> {
    const now = this.clock.now();
    const { renewDeadlineMs } = this.config;
    const timeoutMs = this.leading ? Math.max(1, this.lastRenew + renewDeadlineMs - now) : renewDeadlineMs;
    return this.withTimeout(timeoutMs, (signal) => this.tryAcquireOrRenew(now, signal));
  }

  /** Runs `requests` with a signal that aborts after `timeoutMs` on the elector's clock. */
  private async withTimeout<T>(timeoutMs: number, requests: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const request = new AbortController();
    const timer = new AbortController();
    this.clock.sleep(timeoutMs, timer.signal).then(
      () => request.abort(new Error(`lease request timed out after ${timeoutMs} ms`)),
      () => undefined,
    );
    try {
      return await requests(request.signal);
    } finally {
      timer.abort();
    }
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.warn('stopped leading', { why });
    this.callbacks.onStoppedLeading();
  }

  private spec(now: number, current: k8s.V1LeaseSpec | undefined): k8s.V1LeaseSpec {
    const mine = current?.holderIdentity === this.config.identity;
    return {
      holderIdentity: this.config.identity,
      leaseDurationSeconds: Math.ceil(this.config.leaseDurationMs / 1000),
      acquireTime: mine && current.acquireTime ? current.acquireTime : new k8s.V1MicroTime(now),
      renewTime: new k8s.V1MicroTime(now),
      leaseTransitions: mine
        ? (current.leaseTransitions ?? 0)
        : (current?.leaseTransitions ?? 0) + (current ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const { name, namespace } = this.config;
    try {
      // A leader renews with the version it wrote last: one request per renewal. Anyone else,
      // or a leader whose write conflicted, reads first.
      let lease = this.leading ? this.observed?.lease : undefined;
      if (!lease) {
        try {
          lease = await this.api.read(name, namespace, signal);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          const created = await this.api.create(
            { metadata: { name, namespace }, spec: this.spec(now, undefined) },
            signal,
          );
          this.remember(created, now);
          return true;
        }
        this.remember(lease, now);
      }
      const holder = lease.spec?.holderIdentity;
      const observedAt = this.observed?.at ?? now;
      // The holder's lease lasts what it wrote (as client-go's observedRecord), ours if unsaid.
      const seconds = lease.spec?.leaseDurationSeconds;
      const holderDurationMs = seconds !== undefined ? seconds * 1000 : this.config.leaseDurationMs;
      if (holder && holder !== this.config.identity && now < observedAt + holderDurationMs) {
        return false; // held by someone else, and they renewed recently enough
      }
      if (holder && holder !== this.config.identity) {
        this.log.info('the lease expired; taking it over', { previousHolder: holder });
      }
      const updated = await this.api.replace(
        { metadata: lease.metadata, spec: this.spec(now, lease.spec) },
        signal,
      );
      this.remember(updated, now);
      return true;
    } catch (err) {
      if (isConflict(err))
        this.observed = undefined; // someone else wrote: read again next time
      else this.log.warn('leader election request failed', { error: describeError(err) });
      return false;
    }
  }

  /** Tracks when the lease record last changed, by our own clock. */
  private remember(lease: Lease, now: number): void {
    const record = JSON.stringify([
      lease.spec?.holderIdentity,
      lease.spec?.renewTime,
      lease.spec?.leaseTransitions,
    ]);
    if (this.observed?.record !== record) this.observed = { record, at: now, lease };
    else this.observed.lease = lease;
  }

  /** Clears the holder, so a standby doesn't wait for the lease to expire. */
  private async release(): Promise<void> {
    const lease = this.observed?.lease;
    const spec = lease?.spec;
    if (!lease || spec?.holderIdentity !== this.config.identity) return;
    try {
      // Bounded like a renewal: shutdown has its own deadline to keep.
      await this.withTimeout(this.config.renewDeadlineMs, (signal) =>
        this.api.replace(
          {
            metadata: lease.metadata,
            spec: {
              holderIdentity: '',
              leaseDurationSeconds: 1,
              acquireTime: spec.acquireTime,
              renewTime: new k8s.V1MicroTime(this.clock.now()),
              leaseTransitions: spec.leaseTransitions,
            },
          },
          signal,
        ),
      );
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('could not release the lease; it expires on its own', { error: describeError(err) });
    }
  }
}
