// Read-your-writes over informer caches. A cache learns of the operator's own writes a few
// milliseconds later, through the watch; a reconcile that runs in between would decide from
// the old object and write again (a 409 Conflict: a wasted write) or create a pod that exists
// (a 409 AlreadyExists, then a GET to adopt it). These keep what the operator just wrote until
// the cache has caught up, so decisions see it at once.
import type { KubeObject } from './json.ts';

/** How long a remembered write may wait for the cache before it's dropped anyway. */
const maxAgeMs = 60_000;

/**
 * Whether resourceVersion `a` is newer than `b`. The API server's resourceVersions are etcd
 * revisions, decimal integers that only grow; Kubernetes asks clients not to rely on that, so
 * anything that isn't such a number counts as not newer (the cache wins).
 */
export function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !/^\d+$/.test(a)) return false;
  if (!b || !/^\d+$/.test(b)) return true;
  return BigInt(a) > BigInt(b);
}

/** The last version of each object the operator wrote. */
export class RecentWrites<T extends KubeObject> {
  private readonly objects = new Map<string, { obj: T; at: number }>();

  remember(key: string, obj: T): void {
    this.objects.set(key, { obj, at: Date.now() });
  }

  forget(key: string): void {
    this.objects.delete(key);
  }

  /** The newer of the cached object and the one we wrote; ours is dropped once the cache has it. */
  resolve(key: string, cached: T | undefined): T | undefined {
    const mine = this.objects.get(key);
    if (!mine) return cached;
    if (cached && !isNewer(mine.obj.metadata?.resourceVersion, cached.metadata?.resourceVersion)) {
      this.objects.delete(key);
      return cached;
    }
    if (Date.now() - mine.at > maxAgeMs) {
      this.objects.delete(key);
      return cached;
    }
    return cached ? mine.obj : undefined;
  }

  get size(): number {
    return this.objects.size;
  }
}

/** Objects the operator created, by owner, until the cache lists them. */
export class RecentCreates<T extends KubeObject> {
  private readonly byOwner = new Map<string, Map<string, { obj: T; at: number }>>();

  remember(owner: string, obj: T): void {
    let created = this.byOwner.get(owner);
    if (!created) this.byOwner.set(owner, (created = new Map<string, { obj: T; at: number }>()));
    created.set(obj.metadata?.name ?? '', { obj, at: Date.now() });
  }

  /** The cached objects plus those created but not in the cache yet. */
  merge(owner: string, cached: T[]): T[] {
    const created = this.byOwner.get(owner);
    if (!created) return cached;
    const names = new Set(cached.map((o) => o.metadata?.name));
    const now = Date.now();
    const extra: T[] = [];
    for (const [name, { obj, at }] of created) {
      if (names.has(name) || now - at > maxAgeMs) created.delete(name);
      else extra.push(obj);
    }
    if (created.size === 0) this.byOwner.delete(owner);
    return extra.length > 0 ? [...cached, ...extra] : cached;
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }
}
