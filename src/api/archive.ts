// Reading the log archive through the ObjectStore interface (src/store/object-store.ts) in the
// layout of src/resources/logs/keys.ts. Only complete attempts exist for readers: an attempt is
// archived when its manifest is, whatever objects lie beside it. A store that fails is a 503
// ("try again"), a missing run, attempt or container a 404 naming it.
import { pipeline, type Readable } from 'node:stream';
import type { ObjectStore } from '../store/object-store.ts';
import {
  manifestKey,
  namePrefix,
  parseLogKey,
  runPrefix,
  type AttemptManifest,
  type RunLogRef,
} from '../resources/logs/keys.ts';
import { describeError } from '../kube/errors.ts';
import { StatusError } from './status.ts';
import { StripTimestamps } from './strip-timestamps.ts';

export interface ArchivedRun {
  uid: string;
  /** Complete attempts, oldest first. */
  attempts: AttemptManifest[];
}

export class ArchiveReader {
  private readonly store: ObjectStore | undefined;

  constructor(store: ObjectStore | undefined) {
    this.store = store;
  }

  private need(): ObjectStore {
    if (!this.store)
      throw new StatusError(503, 'no object store is configured: logs live only as long as their pods');
    return this.store;
  }

  private async attempt<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StatusError) throw err;
      throw new StatusError(
        503,
        `the log archive (object store) is unavailable while ${what}: ${describeError(err)}`,
      );
    }
  }

  /** The archived runs of this name (one uid each), oldest archive first; uid narrows to one. */
  async runs(namespace: string, name: string, uid?: string): Promise<ArchivedRun[]> {
    const store = this.need();
    const prefix = uid ? runPrefix({ namespace, name, uid }) : namePrefix(namespace, name);
    const manifests = await this.attempt('listing archived runs', async () => {
      const keys: string[] = [];
      for await (const info of store.list(prefix)) {
        const parsed = parseLogKey(info.key);
        if (parsed?.file === 'manifest.json' && parsed.name === name && parsed.namespace === namespace)
          keys.push(info.key);
      }
      return await Promise.all(keys.map((key) => this.readManifest(store, key)));
    });
    const byUid = new Map<string, AttemptManifest[]>();
    for (const m of manifests) {
      if (!m) continue;
      byUid.set(m.run.uid, [...(byUid.get(m.run.uid) ?? []), m]);
    }
    return [...byUid.entries()]
      .map(([runUid, attempts]) => ({
        uid: runUid,
        attempts: attempts.sort((a, b) => a.attempt - b.attempt),
      }))
      .sort((a, b) =>
        (a.attempts.at(-1)?.archivedAt ?? '').localeCompare(b.attempts.at(-1)?.archivedAt ?? ''),
      );
  }

  private async readManifest(store: ObjectStore, key: string): Promise<AttemptManifest | undefined> {
    const body = await store.get(key);
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    try {
      const manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<AttemptManifest>;
      return manifest.version === 1 && Array.isArray(manifest.containers)
        ? (manifest as AttemptManifest)
        : undefined;
    } catch {
      return undefined; // not a manifest this reader understands: as if not archived
    }
  }

  /** The highest archived attempt of the run, if any. */
  async latestAttempt(run: RunLogRef): Promise<number | undefined> {
    const [found] = await this.runs(run.namespace, run.name, run.uid);
    return found?.attempts.at(-1)?.attempt;
  }

  /** One container's archived log, timestamps stripped unless asked for. */
  async open(run: RunLogRef, attempt: number, container: string, timestamps: boolean): Promise<Readable> {
    const store = this.need();
    const manifest = await this.attempt('reading a manifest', () =>
      this.readManifest(store, manifestKey(run, attempt)),
    );
    if (!manifest)
      throw new StatusError(
        404,
        `attempt ${attempt} of pipelinerun ${run.namespace}/${run.name} (uid ${run.uid}) has no archived logs (not archived yet, or never run)`,
      );
    const entry = manifest.containers.find((c) => c.name === container);
    if (!entry)
      throw new StatusError(
        404,
        `attempt ${attempt} of pipelinerun ${run.name} has no container "${container}"; it has: ${manifest.containers.map((c) => c.name).join(', ')}`,
      );
    if (entry.missing)
      throw new StatusError(
        404,
        `the log of container "${container}" (attempt ${attempt}) was not archived: ${entry.missing}`,
      );
    const body = await this.attempt('reading a log', () => store.get(entry.key));
    if (!body)
      throw new StatusError(
        404,
        `the archived log of container "${container}" (attempt ${attempt}) is gone from the store`,
      );
    if (timestamps) return body;
    const strip = new StripTimestamps();
    pipeline(body, strip, () => undefined); // an error in either destroys both; the reader sees it
    return strip;
  }
}
