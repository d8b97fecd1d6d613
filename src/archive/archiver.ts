// Copies a finished attempt's container logs from the API server (pods/log, with timestamps)
// to the object store, off the reconcile path: at most `concurrency` attempts at once, each
// container streamed straight through (never held in memory), the manifest written last so
// that an interrupted copy never looks complete (src/resources/logs/keys.ts). The log archive
// controller decides when (src/resources/logs/archive-plan.ts) and what happens to the pod
// afterwards; this class only copies, remembers what is done, and says when a copy ends.
import { createHash } from 'node:crypto';
import { PassThrough, Transform, pipeline, type Readable } from 'node:stream';
import type { Pod } from '../kube/json.ts';
import { httpStatus, describeError } from '../kube/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { logContainers, podLogRef } from '../resources/logs/archive-plan.ts';
import {
  containerLogKey,
  manifestKey,
  type ArchivedContainer,
  type AttemptManifest,
} from '../resources/logs/keys.ts';
import type { ObjectStore } from '../store/object-store.ts';

/** Reads one container's log as a stream (the API server's pods/log). */
export interface PodLogSource {
  open(namespace: string, pod: string, container: string, signal: AbortSignal): Promise<Readable>;
}

/** Why the store refused or failed, as the condition and the metric name it. */
export interface StoreFailure {
  /** `logs`: the API server couldn't give the log (not the store's fault). */
  kind: 'unavailable' | 'credentials' | 'bucket' | 'full' | 'logs' | 'other';
  message: string;
}

export interface ArchiveFailure extends StoreFailure {
  /** Tries that failed in a row; the next waits longer. */
  failures: number;
}

export type ArchiveState = 'archived' | 'running' | ArchiveFailure | undefined;

export interface ArchiverDeps {
  store: ObjectStore;
  logs: PodLogSource;
  concurrency: number;
  metrics: Metrics;
  log: Logger;
  classify: (err: unknown) => StoreFailure;
  /** Called with the pod's key when a copy ends, well or not: the controller looks again. */
  done: (podKey: string) => void;
  clock?: () => number;
}

/** The pod's log can't be read any more: nothing left to copy. */
class PodGone extends Error {}

/** The API server couldn't give a container's log (its kubelet unreachable, say): not the store. */
class LogUnreadable extends Error {}

export class LogArchiver {
  private readonly deps: ArchiverDeps;
  /** Pod uids whose attempt is archived (forgotten when the pod leaves the cache). */
  private readonly archived = new Set<string>();
  private readonly running = new Set<string>();
  private readonly failed = new Map<string, ArchiveFailure>();
  private readonly waiting: (() => void)[] = [];
  private active = 0;
  private stopping = new AbortController();

  constructor(deps: ArchiverDeps) {
    this.deps = deps;
  }

  state(uid: string): ArchiveState {
    if (this.archived.has(uid)) return 'archived';
    if (this.running.has(uid)) return 'running';
    return this.failed.get(uid);
  }

  /** Starts copying the pod's attempt unless a copy runs or is done. */
  start(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (!uid || this.archived.has(uid) || this.running.has(uid)) return;
    this.running.add(uid);
    void this.run(pod, uid);
  }

  /** The pod is gone from the cache: nothing more to remember of it. */
  forget(uid: string): void {
    this.archived.delete(uid);
    this.failed.delete(uid);
  }

  /**
   * Aborts copies in flight (shutdown, or leadership lost): their manifests are never written,
   * so whoever leads next copies those attempts again. Later copies start afresh.
   */
  stop(): void {
    this.stopping.abort(new Error('the operator stopped leading'));
    this.stopping = new AbortController();
  }

  private async run(pod: Pod, uid: string): Promise<void> {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    await this.slot();
    const { metrics } = this.deps;
    metrics.logArchivesInFlight.inc();
    const stop = metrics.logArchiveDuration.startTimer();
    try {
      const bytes = await this.copy(pod);
      this.archived.add(uid);
      this.failed.delete(uid);
      metrics.logArchives.inc({ result: 'archived' });
      if (bytes !== undefined) this.deps.log.info('archived logs', { pod: key, bytes });
    } catch (err) {
      const failure: StoreFailure =
        err instanceof PodGone || err instanceof LogUnreadable
          ? { kind: 'logs', message: err.message }
          : this.deps.classify(err);
      const failures = (this.failed.get(uid)?.failures ?? 0) + 1;
      this.failed.set(uid, { ...failure, failures });
      metrics.logArchiveFailures.inc({ reason: failure.kind });
      this.deps.log.warn('could not archive logs', {
        pod: key,
        reason: failure.kind,
        error: failure.message,
        failures,
      });
    } finally {
      stop();
      metrics.logArchivesInFlight.dec();
      this.running.delete(uid);
      this.release();
      this.deps.done(key);
    }
  }

  /** Copies every container, then the manifest; the byte count, or undefined if it was done. */
  private async copy(pod: Pod): Promise<number | undefined> {
    const signal = this.stopping.signal;
    const ref = podLogRef(pod);
    if (!ref) throw new PodGone('not a runner pod of a PipelineRun');
    const { store, metrics } = this.deps;
    const manifest = manifestKey(ref, ref.attempt);
    metrics.logArchiveRequests.inc({ target: 'store' });
    // Copied before (by this process before a restart, or another leader): done.
    if (await store.head(manifest)) return undefined;
    const containers: ArchivedContainer[] = [];
    let total = 0;
    for (const c of logContainers(pod)) {
      const archived = await this.copyContainer(pod, ref, c.ordinal, c.name, signal);
      containers.push({ name: c.name, role: c.role, ...archived });
      total += archived.bytes;
    }
    const body: AttemptManifest = {
      version: 1,
      run: { namespace: ref.namespace, name: ref.name, uid: ref.uid },
      attempt: ref.attempt,
      pod: pod.metadata?.name ?? '',
      archivedAt: new Date((this.deps.clock ?? Date.now)()).toISOString(),
      containers,
    };
    metrics.logArchiveRequests.inc({ target: 'store' });
    await store.put(manifest, `${JSON.stringify(body, null, 2)}\n`, {
      contentType: 'application/json',
      signal,
    });
    metrics.logArchiveBytes.inc(total);
    return total;
  }

  private async copyContainer(
    pod: Pod,
    ref: NonNullable<ReturnType<typeof podLogRef>>,
    ordinal: number,
    container: string,
    signal: AbortSignal,
  ): Promise<Omit<ArchivedContainer, 'name' | 'role'>> {
    const { store, logs, metrics } = this.deps;
    const key = containerLogKey(ref, ref.attempt, ordinal, container);
    let source: Readable;
    let missing: string | undefined;
    metrics.logArchiveRequests.inc({ target: 'kubernetes' });
    try {
      source = await logs.open(ref.namespace, pod.metadata?.name ?? '', container, signal);
    } catch (err) {
      const code = httpStatus(err);
      // 404: the pod is gone from the API server, and its logs with it.
      if (code === 404) throw new PodGone(`pod ${pod.metadata?.name ?? ''} is gone: ${describeError(err)}`);
      // 400: the container never started (waiting, or the pod never ran): nothing was printed.
      if (code !== 400)
        throw new LogUnreadable(`reading the log of container ${container}: ${describeError(err)}`, {
          cause: err,
        });
      missing = describeError(err);
      source = PassThrough.from([]);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // A failed read ends the upload with the error, so the object is never completed.
    pipeline(source, counted, () => undefined);
    metrics.logArchiveRequests.inc({ target: 'store' });
    await store.put(key, counted, { contentType: 'text/plain; charset=utf-8', signal });
    return { key, bytes, sha256: hash.digest('hex'), ...(missing !== undefined ? { missing } : {}) };
  }

  private async slot(): Promise<void> {
    if (this.active < this.deps.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
