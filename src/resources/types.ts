// The API's TypeScript types, derived from the schema (src/resources/schema/) so that they
// can't disagree with what the API server accepts. Fields the schema defaults (onError,
// timeout, retries, priority, protocol, runner.pendingTimeout) are optional here, as users
// may leave them out; objects read from the API server always have them. metadata is the wire
// form of ObjectMeta (timestamps as strings), as the informers hold it; every object the API
// server returns has it.
import type { Static } from '@sinclair/typebox';
import type { ObjectMeta } from '../kube/json.ts';
import type { condition } from './schema/common.ts';
import type { nodePoolSchema } from './schema/nodepool.ts';
import type { pipelineRunSchema } from './schema/pipelinerun.ts';

type PipelineRunObject = Static<typeof pipelineRunSchema>;
type NodePoolObject = Static<typeof nodePoolSchema>;

/** metav1.Condition. */
export type Condition = Static<typeof condition>;
export type ConditionStatus = Condition['status'];

export interface PipelineRun extends Omit<PipelineRunObject, 'metadata'> {
  metadata: ObjectMeta;
}
export type PipelineRunSpec = PipelineRunObject['spec'];
export type PipelineRunStatus = NonNullable<PipelineRunObject['status']>;
export type PipelineRunPhase = NonNullable<PipelineRunStatus['phase']>;

export type Step = PipelineRunSpec['steps'][number];
/** A container beside the steps (spec.services[]). */
export type Service = NonNullable<PipelineRunSpec['services']>[number];
export type GitSource = NonNullable<PipelineRunSpec['source']>['git'];
export type EnvVar = NonNullable<PipelineRunSpec['env']>[number];
export type ResourceRequirements = NonNullable<PipelineRunSpec['resources']>;
/** A resource quantity as the user wrote it: 2, "500m", "4Gi" (int-or-string, like core's). */
export type Quantity = NonNullable<ResourceRequirements['limits']>[string];

export type StepStatus = NonNullable<PipelineRunStatus['steps']>[number];
/** One entry of status.attempts: one runner pod. */
export type AttemptStatus = NonNullable<PipelineRunStatus['attempts']>[number];

export interface NodePool extends Omit<NodePoolObject, 'metadata'> {
  metadata: ObjectMeta;
}
export type NodePoolSpec = NodePoolObject['spec'];
export type NodePoolStatus = NonNullable<NodePoolObject['status']>;
export type Taint = NonNullable<NodePoolSpec['taints']>[number];
export type LabelSelector = NodePoolSpec['nodeSelector'];
