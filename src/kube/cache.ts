// What reconcilers read: a cache of one kind, whether it is fed by one cluster-wide informer or
// by one informer per watched namespace (an operator restricted to some namespaces may not be
// allowed to list cluster-wide).
import type * as k8s from '@kubernetes/client-node';
import { Informer, type InformerHandlers, type InformerOptions } from './informer.ts';
import type { KubeObject } from './json.ts';

export interface Cache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
  byIndex(index: string, value: string): T[];
  on(handlers: InformerHandlers<T>): void;
  addIndex(name: string, keyFn: (obj: T) => string[]): void;
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
}

/** What a reconciler reads of a cache (the rest is the wiring's). */
export type CacheReader<T> = Pick<Cache<T>, 'get' | 'list' | 'byIndex'>;

export interface NamespacedSource<T extends KubeObject> extends Omit<InformerOptions<T>, 'path'> {
  /** Collection path for a namespace, or for all namespaces when namespace is undefined. */
  path: (namespace: string | undefined) => string;
}

/** One informer per namespace (or one for all when `namespaces` is empty), read as one cache. */
export class NamespacedCache<T extends KubeObject> implements Cache<T> {
  private readonly informers: Informer<T>[];
  private readonly byNamespace = new Map<string, Informer<T>>();

  constructor(kc: k8s.KubeConfig, namespaces: string[], source: NamespacedSource<T>) {
    const scopes = namespaces.length > 0 ? namespaces : [undefined];
    this.informers = scopes.map((ns) => {
      const informer = new Informer<T>(kc, { ...source, path: source.path(ns) });
      if (ns !== undefined) this.byNamespace.set(ns, informer);
      return informer;
    });
  }

  private for(namespace: string | undefined): Informer<T>[] {
    if (namespace === undefined || this.byNamespace.size === 0) return this.informers;
    const one = this.byNamespace.get(namespace);
    return one ? [one] : [];
  }

  get(name: string, namespace?: string): T | undefined {
    for (const informer of this.for(namespace)) {
      const obj = informer.get(name, namespace);
      if (obj) return obj;
    }
    return undefined;
  }

  list(namespace?: string): T[] {
    return this.for(namespace).flatMap((i) => i.list(namespace));
  }

  byIndex(index: string, value: string): T[] {
    return this.informers.flatMap((i) => i.byIndex(index, value));
  }

  on(handlers: InformerHandlers<T>): void {
    for (const i of this.informers) i.on(handlers);
  }

  addIndex(name: string, keyFn: (obj: T) => string[]): void {
    for (const i of this.informers) i.addIndex(name, keyFn);
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
  }
}
