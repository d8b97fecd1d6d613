// The API's vocabulary: facts about PipelineRuns and NodePools that every part of the operator
// reads the same way. Both pipelinerun/ and nodepool/ import it; it imports neither. Pure.
import { objectKey, type OwnerReference, type Pod } from '../kube/json.ts';
import { apiVersion, group, pipelineRunNames } from './names.ts';
import type { Condition, ConditionStatus, PipelineRun, PipelineRunPhase } from './types.ts';

// --- phases ---

/** A run in one of these phases is over: nothing changes it again but its deletion. */
export const finalPhases: ReadonlySet<PipelineRunPhase> = new Set<PipelineRunPhase>([
  'Succeeded',
  'Failed',
  'Cancelled',
  'TimedOut',
]);

// --- admission: what a run's NodePool says about starting it ---

export type QueueReason = 'PoolNotFound' | 'PoolAtCapacity' | 'NoReadyNodes';

/**
 * Computed from cluster state by the pool's admission queue (nodepool/queue.ts); the run's
 * plan only reads it.
 */
/**
 * Why a pool will never run it: its namespace isn't admitted, no member node is big enough, its
 * priority is outside the pool's allowedPriorities, or it asks for an extended resource the
 * pool's runner.allowedExtendedResources doesn't name.
 */
export type RefusalReason =
  'PoolNotAllowed' | 'RequestsExceedNodes' | 'PriorityNotAllowed' | 'ExtendedResourceNotAllowed';

export type Admission =
  /** `node`: the node whose room the run takes, when the pool limits runs per node (its pod is
   * pinned there, so that the scheduler can't put a second run on a full node). */
  | { state: 'admitted'; node?: string }
  | { state: 'queued'; reason: QueueReason; message: string; position?: number }
  | { state: 'refused'; reason: RefusalReason; message: string };

// --- which run owns a pod ---

/** The owner reference a runner pod carries: the run controls it, and blocks its own deletion. */
export function runOwnerReference(run: PipelineRun): OwnerReference {
  return {
    apiVersion,
    kind: pipelineRunNames.kind,
    name: run.metadata.name ?? '',
    uid: run.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function controllingRun(pod: Pod): OwnerReference | undefined {
  return pod.metadata?.ownerReferences?.find((o) => o.controller && o.kind === pipelineRunNames.kind);
}

/** The uid of the PipelineRun that controls a pod, as an index function's value list. */
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

// --- annotation keys ---

/** On runner pods: the PipelineRun generation the pod was built from. */
export const generationAnnotation = `${group}/generation`;
/**
 * On runner pods of a pool with maxRunsPerNode: the node admission gave the run; the pod's
 * required node affinity names it too (ADR 9).
 */
export const pinnedNodeAnnotation = `${group}/node`;
/**
 * On runner pods while logs are archived: held until the pod's logs are in the object store (or
 * the archive deadline has passed), whoever deletes the pod. The Job controller's pod-tracking
 * finalizer is the precedent (ADR 12).
 */
export const logsFinalizer = `${group}/logs`;
/** kubectl apply's copy of the object: large, and read by nothing in Furrow. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

// --- timestamps ---
// RFC 3339 with whole seconds, as metav1.Time serialises, so a value written twice is written
// identically (a re-listed cache must not look like a change).

export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

// --- conditions: metav1.Condition bookkeeping; lastTransitionTime moves only when the status does ---

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns `conditions` with `input` set (replacing one of its type), keeping the order stable. */
export function setCondition(
  conditions: Condition[] | undefined,
  input: ConditionInput,
  observedGeneration: number,
  now: number,
): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    observedGeneration,
    lastTransitionTime:
      previous && previous.status === input.status ? previous.lastTransitionTime : formatTime(now),
  };
  return previous ? list.map((c) => (c.type === input.type ? next : c)) : [...list, next];
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

// --- writes ---

/** A write policy's answer: write the status now, or not (and when to look again). */
export type WriteDecision = { write: true } | { write: false; retryAfterMs?: number };

/** Drops undefined fields, so objects compare and serialise cleanly. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
