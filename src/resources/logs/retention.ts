// Which archived runs have outlived their retention: pure, over a listing of the store.
import { parseLogKey, runPrefix, type RunLogRef } from './keys.ts';

export interface ListedObject {
  key: string;
  lastModified: Date;
}

/**
 * The runs (by uid folder) whose newest object is older than the retention and whose
 * PipelineRun no longer exists: a run that is still there keeps its logs, however old.
 */
export function expiredRuns(
  objects: Iterable<ListedObject>,
  liveUids: ReadonlySet<string>,
  now: number,
  retentionMs: number,
): RunLogRef[] {
  const newest = new Map<string, { ref: RunLogRef; at: number }>();
  for (const o of objects) {
    const parsed = parseLogKey(o.key);
    if (!parsed) continue;
    const ref = { namespace: parsed.namespace, name: parsed.name, uid: parsed.uid };
    const prefix = runPrefix(ref);
    const at = o.lastModified.getTime();
    const seen = newest.get(prefix);
    if (!seen || at > seen.at) newest.set(prefix, { ref, at });
  }
  return [...newest.values()]
    .filter(({ ref, at }) => !liveUids.has(ref.uid) && now - at >= retentionMs)
    .map(({ ref }) => ref);
}
