// Runs a reconciler over a work queue: a bounded number of workers, one reconcile per key at
// a time, per-key exponential backoff on errors, the server's Retry-After honoured, and an
// orderly stop. The shape of controller-runtime's controller, without the framework.
import { randomBytes } from 'node:crypto';
import type { BackoffPolicy } from './backoff.ts';
import { describeError, retryAfterMs } from './errors.ts';
import { WorkQueue } from './workqueue.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * Thrown by a reconcile that retrying can't help (controller-runtime's TerminalError): the
 * error is logged and counted, and the key is not requeued until something enqueues it again.
 */
export class TerminalError extends Error {}

export interface ReconcileResult {
  /** Reconcile this key again after this long even if nothing changes (a deadline, a backoff). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** Logger carrying the reconcile's id; reconcilers add the object's kind, namespace, name. */
  log: Logger;
  /** Attempts so far that ended in an error (0 on the first try). */
  retries: number;
}

export type Reconcile = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | undefined>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  workers: number;
  backoff: BackoffPolicy;
  logger: Logger;
  metrics: Metrics;
}

export class Controller {
  readonly name: string;
  /** The current queue: a new one each time the controller starts (it starts on leadership). */
  workQueue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private workers: Promise<void>[] = [];
  private running = false;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.name = options.name;
    this.log = options.logger.child({ controller: options.name });
    this.workQueue = this.newQueue();
    this.workQueue.shutDown();
  }

  private newQueue(): WorkQueue {
    const m = this.options.metrics;
    const labels = { controller: this.options.name };
    return new WorkQueue(this.options.backoff, {
      added: () => m.queueAdds.inc(labels),
      depth: (n) => m.queueDepth.set(labels, n),
      waited: (s) => m.queueWait.observe(labels, s),
      retried: () => m.queueRetries.inc(labels),
    });
  }

  /** Queues a key; ignored while the controller is stopped (a standby replica). */
  enqueue(key: string): void {
    this.workQueue.add(key);
  }

  /** Queues a key after `delayMs`; further calls before then coalesce into that one add. */
  enqueueAfter(key: string, delayMs: number): void {
    this.workQueue.addAfter(key, delayMs);
  }

  isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.workQueue = this.newQueue();
    const queue = this.workQueue;
    this.workers = [];
    for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work(queue));
  }

  /**
   * Stops handing out keys and waits for in-flight reconciles, at most `deadlineMs`. Returns
   * true when all finished in time (the rest are abandoned: their effects are idempotent, and
   * the next leader reconciles them again).
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.running = false;
    this.workQueue.shutDown();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const finished = Promise.all(this.workers).then(() => true as const);
    const inTime = await Promise.race([finished, deadline]);
    clearTimeout(timer);
    return inTime;
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await this.process(queue, key);
    }
  }

  private async process(queue: WorkQueue, key: string): Promise<void> {
    const { metrics } = this.options;
    const labels = { controller: this.name };
    const reconcileID = randomBytes(4).toString('hex');
    const log = this.log.child({ reconcileID });
    const stopTimer = metrics.reconcileDuration.startTimer(labels);
    try {
      const result = await this.options.reconcile(key, { log, retries: queue.retries(key) });
      queue.forget(key);
      if (result?.requeueAfterMs !== undefined) {
        queue.addAfter(key, result.requeueAfterMs);
        metrics.reconciles.inc({ ...labels, result: 'requeue' });
      } else {
        metrics.reconciles.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      metrics.reconciles.inc({ ...labels, result: 'error' });
      if (err instanceof TerminalError) {
        // Not counted in reconcileErrors, whose help says "retried with backoff".
        queue.forget(key);
        log.error('reconcile failed; not retrying', { key, error: describeError(err) });
        return;
      }
      metrics.reconcileErrors.inc(labels);
      const serverDelay = retryAfterMs(err);
      if (serverDelay !== undefined) {
        queue.addAfter(key, serverDelay);
      } else {
        queue.addRateLimited(key);
      }
      log.warn('reconcile failed; will retry', {
        key,
        error: describeError(err),
        retries: queue.retries(key),
        retryAfterMs: serverDelay,
      });
    } finally {
      stopTimer();
      queue.done(key);
    }
  }
}
