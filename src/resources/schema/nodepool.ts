// The NodePool schema: a set of nodes reserved for runner pods, and how runs use them.
import { Type } from '@sinclair/typebox';
import {
  conditions,
  customResource,
  duration,
  int32,
  int64,
  labelMap,
  labelSelector,
  object,
  resourceRequirements,
  stringEnum,
} from './common.ts';
import * as patterns from './patterns.ts';
import type { PrinterColumn } from './crd.ts';
import { minAtMostMax, selectorSelectsSomething } from './rules.ts';

const taint = object(
  {
    key: Type.String({
      pattern: patterns.qualifiedName,
      maxLength: 316,
      description: 'The taint key, a qualified name such as furrow.dev/pool.',
    }),
    value: Type.Optional(
      Type.String({
        pattern: patterns.labelValue,
        maxLength: 63,
        description: 'The taint value, a label value.',
      }),
    ),
    effect: stringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], {
      description:
        'NoSchedule (pods without a toleration are not scheduled there), PreferNoSchedule (avoided if possible) or NoExecute (running pods without a toleration are evicted too).',
    }),
  },
  { description: 'A taint on member nodes; runner pods of this pool tolerate it.' },
);

const runner = object(
  {
    resources: Type.Optional(
      resourceRequirements(
        'CPU and memory of each step of runs on this pool, where the run’s spec.resources and the step say nothing.',
      ),
    ),
    runtimeClassName: Type.Optional(
      Type.String({
        pattern: patterns.dnsSubdomain,
        maxLength: 253,
        description: 'RuntimeClass of runner pods (gVisor, Kata, ...), for pools that run untrusted code.',
      }),
    ),
    priorityClassName: Type.Optional(
      Type.String({
        pattern: patterns.dnsSubdomain,
        maxLength: 253,
        description: 'PriorityClass of runner pods.',
      }),
    ),
    activeDeadlineSeconds: Type.Optional(
      int64({
        minimum: 1,
        description:
          'A cap on how long a runner pod may run, in seconds, whatever timeout a run asks for: the pod’s activeDeadlineSeconds.',
      }),
    ),
    serviceAccountName: Type.Optional(
      Type.String({
        pattern: patterns.dnsSubdomain,
        maxLength: 253,
        description:
          'ServiceAccount of runner pods, in the run’s namespace. Unset: the namespace’s default account.',
      }),
    ),
    runAsNonRoot: Type.Optional(
      Type.Boolean({
        description:
          'If true, runner pods refuse to start containers that would run as root. A container whose image runs as root (or names a user the kubelet cannot check is not root) fails the attempt at once with reason RunsAsRoot, naming the container and the fix: a numeric non-root USER in the image. The checkout container counts too, and the default git image runs as root: such a pool needs an operator started with a non-root --git-image.',
      }),
    ),
    allowedExtendedResources: Type.Optional(
      Type.Array(Type.String({ pattern: patterns.qualifiedName, maxLength: 316 }), {
        maxItems: 32,
        description:
          'Extended resources (anything but cpu, memory, ephemeral-storage and hugepages-*, e.g. nvidia.com/gpu) that runs of this pool may request or limit in their spec.resources, steps and services. Unset or empty: none. A run asking for another fails at once with reason ExtendedResourceNotAllowed, naming the resource and this field, and never gets a pod. The pool’s own runner.resources are not checked.',
      }),
    ),
    pendingTimeout: Type.Optional(
      duration({
        default: '10m',
        description:
          'How long a runner pod may stay unschedulable, unable to pull an image, or refused by the kubelet for its configuration (default 10m) before its attempt fails, with reason Unschedulable, ImagePullFailed or ContainerConfigError. Such a failure counts against spec.retries.limit: waiting again rarely helps a missing image or a node selector nothing matches. A pod the scheduler refuses only for want of room (Insufficient cpu, Too many pods) is not stuck: it waits as Pending (WaitingForRoom) without a deadline and is never charged to retries, as admission already waits for room (a run that could never fit is refused before it gets a pod). Two causes fail sooner, as waiting won’t fix them: a Secret or ConfigMap (or a key in one) that a step’s or service’s env names and that is still missing 30 s after the container’s turn came (ConfigMissing), and an image that runs as root under runAsNonRoot (RunsAsRoot, at once); both count against spec.retries.limit too.',
      }),
    ),
    ttlSecondsAfterFinished: Type.Optional(
      int32({
        minimum: 0,
        description: 'Default spec.ttlSecondsAfterFinished of runs on this pool.',
      }),
    ),
  },
  { default: {}, description: 'Defaults and limits for the runner pods of this pool.' },
);

const spec = object(
  {
    nodeSelector: labelSelector(
      'Which nodes are members of the pool: those whose labels match. It must say something (at least one matchLabels entry or matchExpression).',
      [selectorSelectsSomething],
    ),
    taints: Type.Optional(
      Type.Array(taint, {
        maxItems: 16,
        description:
          'Taints the controller keeps on member nodes so that only runner pods land there. Unset: one taint furrow.dev/pool=<pool name>:NoSchedule. An empty list: no taints.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['key', 'effect'],
      }),
    ),
    labels: Type.Optional(
      labelMap(
        'Labels the controller keeps on member nodes. It always adds furrow.dev/pool=<pool name> as well.',
      ),
    ),
    maxConcurrentRuns: Type.Optional(
      int32({
        minimum: 0,
        description:
          'Most runs of this pool that may run at once; the others wait in its queue. 0 pauses the pool: runs queue but none start. Unset: only node capacity limits. Either way a run also waits until its pod’s requests (cpu, memory, pods, extended resources) fit on a ready member node, net of what the pods already there request; a run larger than every member node fails at once with reason RequestsExceedNodes.',
      }),
    ),
    maxRunsPerNode: Type.Optional(
      int32({
        minimum: 1,
        description:
          'Most runs of this pool on one node at once. An admitted run’s pod (and a retry’s) is pinned to a node with room by a required node affinity, so the scheduler can’t place more. Unset: the node’s allocatable resources decide.',
      }),
    ),
    allowedPriorities: Type.Optional(
      object(
        {
          min: Type.Optional(
            int32({ default: 0, description: 'The lowest spec.priority a run may claim. Default 0.' }),
          ),
          max: Type.Optional(
            int32({ default: 0, description: 'The highest spec.priority a run may claim. Default 0.' }),
          ),
        },
        {
          description:
            'The range of spec.priority its runs may claim, bounds included. A run outside it fails at once with reason PriorityNotAllowed, naming the range: it is refused rather than quietly moved to the nearest bound, so a run never waits at a priority it didn’t ask for. Unset: only priority 0 (the default), so on a pool shared by tenants no run can claim a place ahead of another tenant’s; the pool’s owner grants priorities by setting this, e.g. {max: 100}. Within a priority, namespaces still take turns.',
          'x-kubernetes-validations': [minAtMostMax],
        },
      ),
    ),
    namespaceSelector: Type.Optional(
      labelSelector('Namespaces whose PipelineRuns may use this pool. Unset: every namespace.'),
    ),
    runner: Type.Optional(runner),
  },
  { description: 'Which nodes make up the pool, how they are kept, and how runs use them.' },
);

const count = (description: string) => Type.Optional(int32({ minimum: 0, description }));

const status = object(
  {
    nodes: count('Member nodes.'),
    readyNodes: count('Member nodes that are Ready and schedulable.'),
    runningRuns: count('Runs of this pool with a runner pod (Pending or Running).'),
    queuedRuns: count('Runs waiting in the queue.'),
    capacity: count('How many more runs the pool can start now.'),
    observedGeneration: Type.Optional(
      int64({ minimum: 0, description: 'The metadata.generation this status describes.' }),
    ),
    conditions: Type.Optional(
      conditions(
        'Ready (the pool has Ready members and can start runs), and others as the controller needs.',
      ),
    ),
  },
  { description: 'What the controller observed of the pool; written only by the controller.' },
);

export const nodePoolSchema = customResource({
  description:
    'A NodePool is a set of nodes, chosen by label, reserved for runner pods: the controller keeps its taints and labels on them and starts queued PipelineRuns when it has room.',
  spec,
  status,
});

export const nodePoolPrinterColumns: PrinterColumn[] = [
  { name: 'Nodes', type: 'integer', jsonPath: '.status.nodes', description: 'Member nodes.' },
  { name: 'Ready', type: 'integer', jsonPath: '.status.readyNodes', description: 'Ready member nodes.' },
  { name: 'Running', type: 'integer', jsonPath: '.status.runningRuns', description: 'Runs with a pod.' },
  { name: 'Queued', type: 'integer', jsonPath: '.status.queuedRuns', description: 'Runs waiting.' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  {
    name: 'Capacity',
    type: 'integer',
    jsonPath: '.status.capacity',
    priority: 1,
    description: 'Runs the pool can start now.',
  },
];
