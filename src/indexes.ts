// The caches' secondary indexes and the keys notifications map to: pure functions of one object, so
// the cache layer, admission and the controllers' setup can share them without importing each
// other. (The lead may fold controllingRunUid into the shared API vocabulary in src/resources.)
import { objectKey, type Pod } from './kube/json.ts';
import { pipelineRunNames } from './resources/names.ts';
import { finalPhases } from './resources/pipelinerun/plan.ts';
import type { PipelineRun } from './resources/types.ts';

/** Index of runner pods by the uid of the PipelineRun that controls them. */
export const podsByRunUid = 'runUid';

export function controllingRunUid(pod: Pod): string[] {
  const owner = controllingRun(pod);
  return owner ? [owner.uid] : [];
}

/** The run that controls a runner pod, as a work-queue key. */
export function ownerRunKey(pod: Pod): string | undefined {
  const owner = controllingRun(pod);
  const ns = pod.metadata?.namespace;
  return owner && ns ? objectKey({ metadata: { namespace: ns, name: owner.name } }) : undefined;
}

function controllingRun(pod: Pod) {
  return pod.metadata?.ownerReferences?.find((o) => o.controller && o.kind === pipelineRunNames.kind);
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
