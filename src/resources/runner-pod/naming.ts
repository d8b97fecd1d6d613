import { createHash } from 'node:crypto';

/** Pod names stay DNS labels (63 characters) so they also work as host names. */
const maxPodName = 63;

/**
 * The runner pod of an attempt: "<run>-<attempt>". Deterministic, so a restarted operator (or
 * a second replica) finds the pod instead of creating another. Too long a name keeps a prefix
 * and a hash of the full run name, so two long names sharing a prefix still differ.
 */
export function runnerPodName(runName: string, attempt: number): string {
  const suffix = `-${attempt}`;
  if (runName.length + suffix.length <= maxPodName) return `${runName}${suffix}`;
  const hash = createHash('sha256').update(runName).digest('hex').slice(0, 8);
  const room = maxPodName - suffix.length - hash.length - 1;
  return `${runName.slice(0, room).replace(/[-.]+$/, '')}-${hash}${suffix}`;
}
