// Counting API requests per identity from the local API server's audit log (one JSON event a
// line at ResponseComplete, see test/cluster/audit-policy.yaml). Pure apart from reading.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats.ts';

export interface AuditCounts {
  reads: number;
  writes: number;
  watches: number;
  byVerb: Record<string, number>;
  /** Writes by resource: "pods", "pipelineruns/status", "events"... */
  writesByResource: Record<string, number>;
}

const readVerbs = new Set(['get', 'list']);
const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp?: string;
}

export function countAudit(
  lines: Iterable<string>,
  username: string,
  fromMs = 0,
  toMs = Infinity,
): AuditCounts {
  const counts: AuditCounts = { reads: 0, writes: 0, watches: 0, byVerb: {}, writesByResource: {} };
  for (const line of lines) {
    if (!line.includes(username)) continue;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    if (event.user?.username !== username || event.stage !== 'ResponseComplete') continue;
    const at = Date.parse(event.requestReceivedTimestamp ?? '');
    if (!(at >= fromMs && at <= toMs)) continue;
    const verb = event.verb ?? 'unknown';
    counts.byVerb[verb] = (counts.byVerb[verb] ?? 0) + 1;
    if (readVerbs.has(verb)) counts.reads++;
    else if (verb === 'watch') counts.watches++;
    else if (writeVerbs.has(verb)) {
      counts.writes++;
      const resource = [event.objectRef?.resource, event.objectRef?.subresource].filter(Boolean).join('/');
      counts.writesByResource[resource] = (counts.writesByResource[resource] ?? 0) + 1;
    }
  }
  return counts;
}

/**
 * The audit log's lines, rotated backups included: the API server renames a full log (over
 * --audit-log-maxsize) to audit-<time>.log beside it, and a long scenario spans the rotation.
 */
export function readAudit(file: string): string[] {
  const dir = path.dirname(file);
  const { name, ext } = path.parse(file);
  const rotated = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith(`${name}-`) && f.endsWith(ext))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
  return [...rotated, file].filter((f) => existsSync(f)).flatMap((f) => readFileSync(f, 'utf8').split('\n'));
}

export interface PerRun {
  reads?: number;
  /** All writes. */
  writes?: number;
  /** The run's own objects: its pod and its status (the Job's pod and the Job and its status). */
  objectWrites?: number;
  /** Its pool's status: a cost per pool (at most one write a second), shown per run. */
  poolStatusWrites?: number;
  eventWrites?: number;
}

const ownObjects = new Set(['pods', 'pipelineruns', 'pipelineruns/status', 'jobs', 'jobs/status']);

/** A side's audit counts divided by its number of runs. Pure. */
export function perRun(
  api: Pick<AuditCounts, 'reads' | 'writes' | 'writesByResource'>,
  runs: number,
): PerRun {
  const by = api.writesByResource;
  const own = Object.entries(by)
    .filter(([r]) => ownObjects.has(r))
    .reduce((sum, [, n]) => sum + n, 0);
  const each = (n: number) => round(n / runs, 2);
  return {
    reads: each(api.reads),
    writes: each(api.writes),
    objectWrites: each(own),
    poolStatusWrites: each(by['nodepools/status'] ?? 0),
    eventWrites: each(by.events ?? 0),
  };
}
