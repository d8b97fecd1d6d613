// An in-memory Cache for unit tests: the interface the informer-backed caches implement, with
// indexes and notification handlers, filled by set() and remove() instead of a watch.
import type { Cache } from '../../src/kube/cache.ts';
import type { InformerHandlers } from '../../src/kube/informer.ts';
import { objectKey, type KubeObject } from '../../src/kube/json.ts';

export class MemoryCache<T extends KubeObject> implements Cache<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly indexes = new Map<string, (obj: T) => string[]>();
  private synced = false;

  constructor(items: T[] = []) {
    for (const item of items) this.objects.set(objectKey(item), item);
  }

  /** Adds or replaces an object, notifying the handlers as the informer would. */
  set(obj: T): void {
    const key = objectKey(obj);
    const existed = this.objects.has(key);
    this.objects.set(key, obj);
    for (const h of this.handlers) {
      if (existed) h.update?.(obj);
      else h.add?.(obj);
    }
  }

  remove(obj: T): void {
    this.objects.delete(objectKey(obj));
    for (const h of this.handlers) h.delete?.(obj);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  byIndex(index: string, value: string): T[] {
    const keyFn = this.indexes.get(index);
    if (!keyFn) throw new Error(`no index ${index}`);
    return this.list().filter((o) => keyFn(o).includes(value));
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  addIndex(name: string, keyFn: (obj: T) => string[]): void {
    this.indexes.set(name, keyFn);
  }

  start(): void {
    this.synced = true;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
}
