// When to write a pool's status. Its run counts move with every run that starts or ends: writing
// each move would cost a pool write per run, more than the run's own writes. Counts are written
// at most once a second; a change of nodes, readiness, conditions or generation goes out at once.
// Pure.
import { isDeepStrictEqual } from 'node:util';
import type { WriteDecision } from '../api.ts';
import type { NodePoolStatus } from '../types.ts';

/** Count-only changes of a pool's status are written at most this often. */
export const countsWriteIntervalMs = 1000;

export function decidePoolStatusWrite(
  old: NodePoolStatus,
  next: NodePoolStatus,
  now: number,
  lastWriteAt: number | undefined,
): WriteDecision {
  if (isDeepStrictEqual(old, next)) return { write: false };
  if (countsOnly(old, next) && lastWriteAt !== undefined && now - lastWriteAt < countsWriteIntervalMs)
    return { write: false, retryAfterMs: lastWriteAt + countsWriteIntervalMs - now };
  return { write: true };
}

/**
 * Only the run counts or the capacity differ. Conditions are compared as values: the API server
 * returns their fields in its own order, not the order status.ts builds them in.
 */
function countsOnly(old: NodePoolStatus, next: NodePoolStatus): boolean {
  return (
    isDeepStrictEqual(old.conditions ?? [], next.conditions ?? []) &&
    old.nodes === next.nodes &&
    old.readyNodes === next.readyNodes &&
    old.observedGeneration === next.observedGeneration
  );
}
