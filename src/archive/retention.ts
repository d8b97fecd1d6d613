// Log retention, enforced by Furrow (not only by a bucket rule, which not every S3 API has):
// every hour, and once a leader starts, list the archive and delete each run's logs once its
// PipelineRun is gone and the newest of them is older than --log-retention.
import type { CacheReader } from '../kube/cache.ts';
import { describeError } from '../kube/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { logsPrefix, runPrefix } from '../resources/logs/keys.ts';
import { expiredRuns, type ListedObject } from '../resources/logs/retention.ts';
import type { PipelineRun } from '../resources/types.ts';
import type { ObjectStore } from '../store/object-store.ts';

const sweepEveryMs = 3_600_000;

export interface RetentionDeps {
  store: ObjectStore;
  runs: CacheReader<PipelineRun>;
  retentionMs: number;
  log: Logger;
  clock?: () => number;
}

export class LogRetention {
  private readonly deps: RetentionDeps;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(deps: RetentionDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.timer) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), sweepEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; a store that is down is tried again at the next. Returns the runs deleted. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    const { store, runs, retentionMs, log } = this.deps;
    try {
      const objects: ListedObject[] = [];
      for await (const o of store.list(logsPrefix))
        objects.push({ key: o.key, lastModified: o.lastModified });
      const live = new Set(runs.list().map((r) => r.metadata.uid ?? ''));
      const expired = expiredRuns(objects, live, (this.deps.clock ?? Date.now)(), retentionMs);
      for (const ref of expired) {
        const prefix = runPrefix(ref);
        await store.delete(objects.filter((o) => o.key.startsWith(prefix)).map((o) => o.key));
        log.info('deleted expired logs', {
          kind: 'PipelineRun',
          namespace: ref.namespace,
          name: ref.name,
          uid: ref.uid,
        });
      }
      return expired.length;
    } catch (err) {
      log.warn('log retention sweep failed; will try again', { error: describeError(err) });
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
