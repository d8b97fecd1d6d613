// A shared-informer cache built on client-node's ListWatch: list, then watch from the list's
// resourceVersion, re-list on 410 Gone. What this adds, and why:
// - ListWatch stops for good on any error but 410 (an unreachable API server, a 500): the
//   informer restarts it with exponential backoff and jitter, resuming from the last
//   resourceVersion so nothing is missed or replayed.
// - Lists are paged and read as plain JSON (client-node's typed lists build model objects with
//   Date timestamps, while watches deliver JSON); every object is trimmed (managedFields, and
//   what the operator never reads) before it is cached.
// - A watch that throws before its request starts (credentials) is turned into an error the
//   restart loop handles, instead of an unhandled rejection that would end the process.
// - Handlers that throw are logged, never allowed to reach ListWatch (same reason).
// - hasSynced() after the first complete list, secondary indexes, and metrics.
// Words: the API server sends watch events; the informer passes each change on to its handlers
// as a notification (add, update, delete). "Event" alone means a Kubernetes Event (k8s-events.ts).
// Tests: test/unit/kube/informer.test.ts.
import * as k8s from '@kubernetes/client-node';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import type { KubeClients } from './client.ts';
import { describeError, isGone } from './errors.ts';
import { objectKey, type KubeObject } from './json.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';

const listPageSize = 500;

/** What to do on each notification of a change to the cache. */
export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  /** For logs and metrics: "Pod", "PipelineRun". */
  kind: string;
  /** The collection to watch, e.g. /api/v1/pods or /apis/furrow.dev/v1alpha1/pipelineruns. */
  path: string;
  /** Lists through this client, page by page, as JSON. */
  clients: Pick<KubeClients, 'getJson'>;
  labelSelector?: string;
  /** e.g. spec.nodeName!=: the API server sends a delete when an object stops matching. */
  fieldSelector?: string;
  /** Drops what the operator never reads, before caching. managedFields always go. */
  trim?: (obj: T) => T;
  restartBackoff: BackoffPolicy;
  logger: Logger;
  metrics: Metrics;
  /** Called when the watch is back after failures: the cache may have missed notifications. */
  onRecovered?: () => void;
}

type Index<T> = {
  keyFn: (obj: T) => string[];
  byValue: Map<string, Map<string, T>>;
  valuesOf: Map<string, string[]>;
};

export class Informer<T extends KubeObject> {
  readonly kind: string;
  private readonly options: InformerOptions<T>;
  private readonly listWatch: k8s.ListWatch<k8s.KubernetesObject>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly indexes = new Map<string, Index<T>>();
  private readonly log: Logger;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private failures = 0;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(kc: k8s.KubeConfig, options: InformerOptions<T>) {
    this.kind = options.kind;
    this.options = options;
    this.log = options.logger.child({ informer: options.kind });
    const watch = new InformerWatch(kc, this);
    const list = async (): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> => {
      const items = await this.listPages();
      options.metrics.informerEvents.inc({ kind: this.kind, type: 'list' });
      return items;
    };
    this.listWatch = new k8s.ListWatch(
      options.path,
      watch,
      list,
      false,
      options.labelSelector,
      options.fieldSelector,
    );
    this.listWatch.on(k8s.ADD, (obj) => this.dispatch('add', obj as T));
    this.listWatch.on(k8s.UPDATE, (obj) => this.dispatch('update', obj as T));
    this.listWatch.on(k8s.DELETE, (obj) => this.dispatch('delete', obj as T));
    this.listWatch.on(k8s.ERROR, (err) => this.restartAfterError(err));
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /**
   * Maintains a secondary index: `keyFn` gives the index values an object is found under.
   * Several controllers may declare the same index (same name, same function): it is kept once.
   */
  addIndex(name: string, keyFn: (obj: T) => string[]): void {
    if (this.running) throw new Error(`index ${name} must be added before the ${this.kind} informer starts`);
    const existing = this.indexes.get(name);
    if (existing?.keyFn === keyFn) return;
    if (existing) throw new Error(`index ${name} on the ${this.kind} informer declared with two functions`);
    this.indexes.set(name, { keyFn, byValue: new Map(), valuesOf: new Map() });
  }

  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index ${name} on the ${this.kind} informer`);
    return [...(index.byValue.get(value)?.values() ?? [])];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.log.debug('starting');
    void this.listWatch.start().catch((err: unknown) => this.restartAfterError(err));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace) as T | undefined;
  }

  list(namespace?: string): T[] {
    return this.listWatch.list(namespace) as T[];
  }

  // --- called by InformerWatch and ListWatch ---

  /** ListWatch starts a watch only after a complete list: that is when the cache is synced. */
  watchStarting(): void {
    if (this.synced) return;
    this.synced = true;
    this.log.debug('synced', { objects: this.list().length });
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  /** The API server accepted a watch: after failures, that is a recovery. */
  watchConnected(): void {
    if (this.failures === 0) return;
    this.log.info('list/watch recovered', { failures: this.failures });
    this.failures = 0;
    this.options.onRecovered?.();
  }

  normalize(raw: unknown): T {
    const obj = raw as T;
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    return this.options.trim ? this.options.trim(obj) : obj;
  }

  /**
   * Lists the collection in pages of 500, trimming each page before asking for the next, so
   * the memory a list needs at its peak is one page's, not the whole collection's (a fresh
   * operator listing 10,000 pods would otherwise hold them all, full, at once).
   */
  private async listPages(): Promise<k8s.KubernetesListObject<k8s.KubernetesObject>> {
    type Page = { items?: unknown[]; metadata?: { resourceVersion?: string; continue?: string } };
    const items: k8s.KubernetesObject[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    for (;;) {
      let page: Page;
      try {
        page = (await this.options.clients.getJson(this.options.path, {
          limit: String(listPageSize),
          continue: next,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        })) as Page;
      } catch (err) {
        // The continue token expired (the list took too long): start over, once.
        if (next !== undefined && isGone(err)) {
          next = undefined;
          items.length = 0;
          continue;
        }
        throw err;
      }
      for (const item of page.items ?? []) items.push(this.normalize(item) as k8s.KubernetesObject);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      next = page.metadata?.continue || undefined;
      if (!next) return { metadata: { resourceVersion }, items };
    }
  }

  restartAfterError(err: unknown): void {
    if (!this.running) return;
    this.failures++;
    const delayMs = backoffDelay(this.failures, this.options.restartBackoff);
    this.options.metrics.informerRestarts.inc({ kind: this.kind });
    this.log.warn('list/watch failed; restarting', {
      error: describeError(err),
      delayMs,
      failures: this.failures,
    });
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.running) return;
      void this.listWatch.start().catch((e: unknown) => this.restartAfterError(e));
    }, delayMs);
    this.restartTimer.unref();
  }

  recordWatch(code: string): void {
    const resource = this.options.path.split('/').pop() ?? this.kind;
    this.options.metrics.apiRequests.inc({ verb: 'watch', resource, code });
  }

  private dispatch(type: 'add' | 'update' | 'delete', obj: T): void {
    this.options.metrics.informerEvents.inc({ kind: this.kind, type });
    this.updateIndexes(type, obj);
    for (const handler of this.handlers) {
      try {
        handler[type]?.(obj);
      } catch (err) {
        this.log.error('informer notification handler threw', {
          notification: type,
          key: objectKey(obj),
          error: describeError(err),
        });
      }
    }
  }

  private updateIndexes(type: 'add' | 'update' | 'delete', obj: T): void {
    if (this.indexes.size === 0) return;
    const key = objectKey(obj);
    for (const index of this.indexes.values()) {
      for (const value of index.valuesOf.get(key) ?? []) {
        const bucket = index.byValue.get(value);
        bucket?.delete(key);
        if (bucket?.size === 0) index.byValue.delete(value);
      }
      index.valuesOf.delete(key);
      if (type === 'delete') continue;
      const values = index.keyFn(obj);
      if (values.length === 0) continue;
      index.valuesOf.set(key, values);
      for (const value of values) {
        let bucket = index.byValue.get(value);
        if (!bucket) index.byValue.set(value, (bucket = new Map<string, T>()));
        bucket.set(key, obj);
      }
    }
  }
}

/**
 * The watch ListWatch uses: asks for bookmarks (so a quiet resource's resourceVersion stays
 * fresh), ends watches server-side after 5–10 minutes like client-go, normalises events, and
 * reports progress to the informer.
 */
interface WatchHooks {
  watchStarting(): void;
  watchConnected(): void;
  normalize(raw: unknown): unknown;
  recordWatch(code: string): void;
}

class InformerWatch extends k8s.Watch {
  private readonly informer: WatchHooks;

  constructor(kc: k8s.KubeConfig, informer: WatchHooks) {
    super(kc);
    this.informer = informer;
    // Bookmarks arrive about once a minute; a connection silent for longer is presumed dead.
    // (client-node's default of 30 s would reconnect every quiet watch twice a minute.)
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 90_000;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.informer.watchStarting();
    const params = {
      ...queryParams,
      allowWatchBookmarks: true,
      timeoutSeconds: 300 + Math.floor(Math.random() * 300),
    };
    const onEvent = (phase: string, obj: unknown, watchObj?: unknown): void => {
      if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
        callback(phase, this.informer.normalize(obj), watchObj);
      } else {
        callback(phase, obj, watchObj);
      }
    };
    const outcome = { failed: false };
    const onDone = (err: unknown): void => {
      if (err) outcome.failed = true;
      const code = (err as { statusCode?: number } | null)?.statusCode;
      this.informer.recordWatch(err ? String(code ?? 'error') : '200');
      done(err);
    };
    try {
      // watch() returns once the server answered; a refusal has called onDone by then.
      const controller = await super.watch(path, params, onEvent, onDone);
      if (!outcome.failed) this.informer.watchConnected();
      return controller;
    } catch (err) {
      // Thrown before the request started; ListWatch would let it escape as a rejection.
      onDone(err);
      return new AbortController();
    }
  }
}
