// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
// - a lease is expired when its record hasn't changed for leaseDuration, as observed on this
//   process's own clock (never comparing timestamps written by another machine's clock);
// - the leader renews every retryPeriod; if it can't for renewDeadline, it stops leading at
//   once (renewDeadline < leaseDuration, so it stops before anyone else may start);
// - on shutdown the leader releases the lease (holder cleared) so a standby takes over now.
// Losing the lease doesn't end the process: it stops reconciling and becomes a candidate again.
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { describeError, isConflict, isNotFound } from './errors.ts';
import type { Logger } from '../observability/logger.ts';

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

type Lease = k8s.V1Lease;

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
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
    api: k8s.CoordinationV1Api,
    config: LeaderElectionConfig,
    log: Logger,
    callbacks: LeaderCallbacks,
  ) {
    this.api = api;
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
      const ok = await this.tryAcquireOrRenew();
      const now = Date.now();
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
      const jitter = this.leading ? 1 : 1 + Math.random() * 0.2;
      await sleep(this.config.retryPeriodMs * jitter, undefined, { signal: this.abort.signal }).catch(
        () => undefined,
      );
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

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace } = this.config;
    const now = Date.now();
    try {
      // A leader renews with the version it wrote last: one request per renewal. Anyone else,
      // or a leader whose write conflicted, reads first.
      let lease = this.leading ? this.observed?.lease : undefined;
      if (!lease) {
        try {
          lease = await this.api.readNamespacedLease({ name, namespace });
        } catch (err) {
          if (!isNotFound(err)) throw err;
          const created = await this.api.createNamespacedLease({
            namespace,
            body: { metadata: { name, namespace }, spec: this.spec(now, undefined) },
          });
          this.remember(created, now);
          return true;
        }
        this.remember(lease, now);
      }
      const holder = lease.spec?.holderIdentity;
      const observedAt = this.observed?.at ?? now;
      if (holder && holder !== this.config.identity && now < observedAt + this.config.leaseDurationMs) {
        return false; // held by someone else, and they renewed recently enough
      }
      if (holder && holder !== this.config.identity) {
        this.log.info('the lease expired; taking it over', { previousHolder: holder });
      }
      const updated = await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: { metadata: lease.metadata, spec: this.spec(now, lease.spec) },
      });
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
    if (!lease || lease.spec?.holderIdentity !== this.config.identity) return;
    try {
      await this.api.replaceNamespacedLease({
        name: this.config.name,
        namespace: this.config.namespace,
        body: {
          metadata: lease.metadata,
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: lease.spec.acquireTime,
            renewTime: new k8s.V1MicroTime(Date.now()),
            leaseTransitions: lease.spec.leaseTransitions,
          },
        },
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('could not release the lease; it expires on its own', { error: describeError(err) });
    }
  }
}
