// The caches' secondary indexes and the keys notifications map to, so that the cache layer,
// admission and the controllers' setup share them without importing each other. The facts
// they rest on (which run owns a pod, which phases are final) are the API's own, in
// src/resources/api.ts.
import { controllingRunUid, finalPhases, ownerRunKey } from './resources/api.ts';
import type { Pod } from './kube/json.ts';
import type { PipelineRun } from './resources/types.ts';

export { controllingRunUid, ownerRunKey };

/** Index of runner pods by the uid of the PipelineRun that controls them. */
export const podsByRunUid = 'runUid';

/** Index of pods by the node they are bound to (nodePods: what admission subtracts). */
export const podsByNode = 'node';

export function boundNode(pod: Pod): string[] {
  return pod.spec?.nodeName ? [pod.spec.nodeName] : [];
}

/** Index of PipelineRuns by spec.pool. */
export const runsByPool = 'pool';
/** Index of the unfinished PipelineRuns by spec.pool: all a pool's admission ever looks at. */
export const activeRunsByPool = 'activePool';

export function activePool(run: PipelineRun): string[] {
  return isFinal(run) ? [] : [run.spec.pool];
}

export function isFinal(run: PipelineRun): boolean {
  return run.status?.phase !== undefined && finalPhases.has(run.status.phase);
}
