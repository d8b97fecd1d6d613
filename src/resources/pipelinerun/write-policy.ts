// When to write a run's status. Writing every observation would cost a write per container
// state change; the API server and the benchmark's write budget (one pod and two status writes
// for a run that goes straight through) ask for fewer. Pure.
import { isDeepStrictEqual } from 'node:util';
import type { WriteDecision } from '../api.ts';
import type { PipelineRunStatus } from '../types.ts';

/** Progress within a phase (a step finishing, a node assigned) is written at most this often. */
export const progressWriteIntervalMs = 5000;
/**
 * A queued run's position changes whenever any run of its pool starts: with thousands queued,
 * writing every shift would cost thousands of writes per start. Positions near the front are
 * written at once; the rest at most this often.
 */
export const queuePositionWriteIntervalMs = 30_000;
export const queueFrontPositions = 10;

export function decideStatusWrite(
  old: PipelineRunStatus,
  next: PipelineRunStatus,
  now: number,
  writeNotBefore: number | undefined,
  lastWriteAt: number | undefined,
): WriteDecision {
  if (isDeepStrictEqual(old, next)) return { write: false };
  if (writeNotBefore !== undefined && now < writeNotBefore)
    return { write: false, retryAfterMs: writeNotBefore - now };
  if (isProgressOnly(old, next) && lastWriteAt !== undefined) {
    const queued = next.phase === 'Queued';
    if (queued && (next.queuePosition ?? Infinity) <= queueFrontPositions) return { write: true };
    const interval = queued ? queuePositionWriteIntervalMs : progressWriteIntervalMs;
    if (now - lastWriteAt < interval) return { write: false, retryAfterMs: lastWriteAt + interval - now };
  }
  return { write: true };
}

/** Same phase, reason, attempt and condition states: only details moved on. */
function isProgressOnly(old: PipelineRunStatus, next: PipelineRunStatus): boolean {
  const states = (s: PipelineRunStatus) =>
    (s.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).join(',');
  return (
    old.phase === next.phase &&
    old.reason === next.reason &&
    old.attempt === next.attempt &&
    old.podName === next.podName &&
    states(old) === states(next)
  );
}

/**
 * A JSON merge patch that turns `old` into `next`: removed fields are sent as null, arrays
 * (conditions, steps, attempts) are replaced whole, as merge patch does.
 */
export function statusMergePatch(old: PipelineRunStatus, next: PipelineRunStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next };
  // A field set to undefined is absent on the wire: it must be nulled like a missing one.
  for (const key of Object.keys(old)) if (patch[key] === undefined) patch[key] = null;
  return patch;
}
