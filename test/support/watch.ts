// A watch for tests that must see every change even while the cluster misbehaves: it lists,
// watches from the list's resourceVersion, resumes from the last resourceVersion it saw when
// the connection drops (an API server restart), and lists again after 410 Gone (a compacted
// etcd), reporting what the gap hid as synthetic events. Tests record history through it.
import * as k8s from '@kubernetes/client-node';
import { kubeConfig } from './kube.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface Obj {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface ResilientWatchOptions<T> {
  /** The collection, e.g. /api/v1/namespaces/ns/pods. */
  path: string;
  /** Lists the same collection (JSON or client-node models; models are turned into JSON). */
  list: () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>;
  labelSelector?: string;
  /** `relisted`: the event was inferred from a list after the watch lost its place. */
  onEvent: (type: WatchEventType, obj: T, relisted: boolean) => void;
}

const key = (o: Obj) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class ResilientWatch<T extends Obj> {
  /** Lists after 410 Gone (the first list not counted). */
  relists = 0;
  /** Watches resumed after the connection ended. */
  resumes = 0;
  private readonly options: ResilientWatchOptions<T>;
  private readonly known = new Map<string, T>();
  private resourceVersion = '';
  private stopped = false;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: ResilientWatchOptions<T>) {
    this.options = options;
  }

  /** Resolves once the first list is in and the watch is open: nothing after it is missed. */
  async start(): Promise<void> {
    await this.list(false);
    await this.watch();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  private async list(relisted: boolean): Promise<void> {
    const result = await this.options.list();
    const items = (JSON.parse(JSON.stringify(result.items)) as T[]) ?? [];
    const seen = new Set<string>();
    for (const item of items) {
      const k = key(item);
      seen.add(k);
      const before = this.known.get(k);
      this.known.set(k, item);
      if (!before || before.metadata?.uid !== item.metadata?.uid) {
        if (before) this.options.onEvent('DELETED', before, relisted);
        this.options.onEvent('ADDED', item, relisted);
      } else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) {
        this.options.onEvent('MODIFIED', item, relisted);
      }
    }
    for (const [k, before] of this.known) {
      if (seen.has(k)) continue;
      this.known.delete(k);
      this.options.onEvent('DELETED', before, relisted);
    }
    this.resourceVersion = result.metadata?.resourceVersion ?? '';
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const watcher = new k8s.Watch(kubeConfig());
    // Bookmarks come about once a minute; the default 30 s would cut quiet watches.
    (watcher as unknown as { requestTimeoutMs: number }).requestTimeoutMs = 90_000;
    let gone = false;
    const onEvent = (type: string, raw: unknown) => {
      const obj = raw as T & { code?: number };
      if (type === 'ERROR') {
        if (obj.code === 410) gone = true;
        return;
      }
      const rv = obj.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      const k = key(obj);
      if (type === 'DELETED') this.known.delete(k);
      else this.known.set(k, obj);
      this.options.onEvent(type as WatchEventType, obj, false);
    };
    const onDone = (err: unknown) => {
      if (this.stopped) return;
      const code = (err as { statusCode?: number } | null)?.statusCode;
      this.again(gone || code === 410);
    };
    this.controller = await watcher.watch(
      this.options.path,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 240,
        labelSelector: this.options.labelSelector,
      },
      onEvent,
      onDone,
    );
  }

  private again(relist: boolean): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void (async () => {
        try {
          if (relist) {
            this.relists++;
            await this.list(true);
          } else this.resumes++;
          await this.watch();
        } catch {
          if (!this.stopped) this.again(relist);
        }
      })();
    }, 500);
  }
}
