// Label keys Furrow puts on the objects it manages.
// Its annotation keys are in api.ts.
import { createHash } from 'node:crypto';
import { group, poolLabel } from './names.ts';

export { poolLabel };
/** On runner pods: the PipelineRun's name (shortened to fit a label value). */
export const runLabel = `${group}/pipelinerun`;
/** On runner pods: the PipelineRun's uid, exact, for selection. */
export const runUidLabel = `${group}/pipelinerun-uid`;
export const attemptLabel = `${group}/attempt`;
export const managedByLabel = 'app.kubernetes.io/managed-by';
export const managedByValue = 'furrow';
/** Label selector of everything the operator's pod informer caches. */
export const runnerPodSelector = `${managedByLabel}=${managedByValue},${runUidLabel}`;

/**
 * A label value holds at most 63 characters. Longer values keep a readable prefix and end in
 * a hash of the whole, so distinct values stay distinct.
 */
export function labelValue(value: string): string {
  if (value.length <= 63) return value;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 10);
  return `${value.slice(0, 52).replace(/[-_.]+$/, '')}-${hash}`;
}
