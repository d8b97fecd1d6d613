// A work queue with client-go's semantics (k8s.io/client-go/util/workqueue):
// - a key added while it is already queued is queued once (adds coalesce);
// - a key being processed is never handed to a second worker; if it is added meanwhile, it
//   is queued again when the first worker calls done() (one reconcile per key at a time);
// - delayed adds keep the earliest time; rate-limited adds back off per key until forget().
import { backoffDelay, type BackoffPolicy } from './backoff.ts';

export interface QueueObserver {
  /** A key was queued (not counting coalesced adds). */
  added?(): void;
  /** Keys waiting now. */
  depth?(n: number): void;
  /** Seconds a key waited between being queued and being handed to a worker. */
  waited?(seconds: number): void;
  /** A rate-limited retry was scheduled. */
  retried?(): void;
}

/** Per-key exponential backoff, reset by forget(). */
export class ItemBackoff {
  private readonly failures = new Map<string, number>();
  private readonly policy: BackoffPolicy;
  constructor(policy: BackoffPolicy) {
    this.policy = policy;
  }
  when(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return backoffDelay(n, this.policy);
  }
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** FIFO of strings with O(1) push and shift (Array.shift is O(n) on a long queue). */
class Fifo {
  private items: (string | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: string): void {
    this.items.push(item);
  }
  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** The longest delay setTimeout honours. */
const maxTimerMs = 2 ** 31 - 1;

export class WorkQueue {
  private readonly fifo = new Fifo();
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly queuedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly backoff: ItemBackoff;
  private readonly observer: QueueObserver;
  private shuttingDown = false;

  constructor(backoff: BackoffPolicy, observer: QueueObserver = {}) {
    this.backoff = new ItemBackoff(backoff);
    this.observer = observer;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.queuedAt.set(key, performance.now());
    this.observer.added?.();
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending delayed add for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = performance.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    // A Node timer holds at most 2^31-1 ms (24.8 days) and fires after 1 ms when asked for
    // more: a longer delay (a finished run kept 30 days) waits in steps.
    const wait = Math.min(delayMs, maxTimerMs);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      if (delayMs > wait) this.addAfter(key, delayMs - wait);
      else this.add(key);
    }, wait);
    timer.unref();
    this.delayed.set(key, { at, timer });
  }

  /** Adds the key after its per-key backoff, which grows until forget(key). */
  addRateLimited(key: string): void {
    this.observer.retried?.();
    this.addAfter(key, this.backoff.when(key));
  }

  /** Resets the key's backoff (call after a successful reconcile). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** The next key to work on; undefined once the queue is shut down. Call done(key) after. */
  get(): Promise<string | undefined> {
    const key = this.fifo.shift();
    if (key !== undefined) return Promise.resolve(this.handOut(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Keys waiting to be handed out (not counting delayed ones or those being processed). */
  get length(): number {
    return this.fifo.length;
  }

  /** Keys being worked on now. */
  get active(): number {
    return this.processing.size;
  }

  /** Stops handing out work: waiting get() calls resolve undefined; delayed adds are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.handOut(key));
      return;
    }
    this.fifo.push(key);
    this.observer.depth?.(this.fifo.length);
  }

  private handOut(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    const queuedAt = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    if (queuedAt !== undefined) this.observer.waited?.((performance.now() - queuedAt) / 1000);
    this.observer.depth?.(this.fifo.length);
    return key;
  }
}
