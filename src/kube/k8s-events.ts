// Kubernetes Events through events.k8s.io/v1, the way client-go's events library behaves:
// an event that repeats (same object, type, reason and note) becomes one Event whose series
// count grows, patched at most every 30 s; a global token bucket drops events beyond a rate,
// so a flapping object can't flood the API server. Best effort: recording never blocks or
// fails a reconcile.
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { setHeaderOptions, PatchStrategy, V1MicroTime } from '@kubernetes/client-node';
import { describeError } from './errors.ts';
import type { KubeObject } from './json.ts';
import type { Logger } from '../observability/logger.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** events.k8s.io reportingController, e.g. "furrow.dev/operator". */
  controller: string;
  /** This process (pod name or host), the Event's reportingInstance. */
  instance: string;
  /** Events a second across all objects, and the burst. */
  qps?: number;
  burst?: number;
}

interface SeriesState {
  name: string;
  namespace: string;
  count: number;
  lastPatched: number;
  lastSeen: number;
}

const SERIES_PATCH_INTERVAL_MS = 30_000;
const SERIES_FORGET_MS = 6 * 60_000;

export class EventRecorder {
  private readonly api: k8s.EventsV1Api;
  private readonly options: Required<EventRecorderOptions>;
  private readonly log: Logger;
  private readonly series = new Map<string, SeriesState>();
  private tokens: number;
  private lastRefill = Date.now();
  private dropped = 0;

  constructor(api: k8s.EventsV1Api, options: EventRecorderOptions, log: Logger) {
    this.api = api;
    this.options = { qps: 20, burst: 100, ...options };
    this.tokens = this.options.burst;
    this.log = log;
  }

  /** Records an event about `obj` (which needs apiVersion, kind and metadata). */
  record(obj: KubeObject, type: EventType, reason: string, note: string, action = 'Reconcile'): void {
    const meta = obj.metadata;
    if (!meta?.name || !meta.uid) return;
    const namespace = meta.namespace ?? 'default';
    const key = `${meta.uid}\u0000${type}\u0000${reason}\u0000${note}`;
    const now = Date.now();
    this.forgetOldSeries(now);
    const existing = this.series.get(key);
    if (existing) {
      existing.count++;
      existing.lastSeen = now;
      if (now - existing.lastPatched >= SERIES_PATCH_INTERVAL_MS && this.take(now)) {
        existing.lastPatched = now;
        void this.patchSeries(existing, now);
      }
      return;
    }
    if (!this.take(now)) {
      this.dropped++;
      if (this.dropped % 100 === 1)
        this.log.warn('dropping events: rate limit reached', { dropped: this.dropped });
      return;
    }
    const name = `${meta.name}.${randomBytes(8).toString('hex')}`.slice(-253).replace(/^[^a-z0-9]+/, '');
    this.series.set(key, { name, namespace, count: 1, lastPatched: now, lastSeen: now });
    const body: k8s.EventsV1Event = {
      metadata: { name, namespace },
      eventTime: new V1MicroTime(now),
      reportingController: this.options.controller,
      reportingInstance: this.options.instance,
      action,
      reason,
      note: note.slice(0, 1024),
      type,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
      },
    };
    void this.api.createNamespacedEvent({ namespace, body }).catch((err: unknown) => {
      this.series.delete(key);
      this.log.debug('could not record event', { reason, error: describeError(err) });
    });
  }

  private async patchSeries(state: SeriesState, now: number): Promise<void> {
    try {
      await this.api.patchNamespacedEvent(
        {
          name: state.name,
          namespace: state.namespace,
          body: { series: { count: state.count, lastObservedTime: microTime(now) } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      this.log.debug('could not update event series', { event: state.name, error: describeError(err) });
    }
  }

  private take(now: number): boolean {
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.lastRefill) * this.options.qps) / 1000,
    );
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private forgetOldSeries(now: number): void {
    if (this.series.size < 1000 && now % 16 !== 0) return;
    for (const [key, state] of this.series) {
      if (now - state.lastSeen > SERIES_FORGET_MS) this.series.delete(key);
    }
  }
}

/** MicroTime as events.k8s.io wants it: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
