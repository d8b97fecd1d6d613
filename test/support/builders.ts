// Builders for the unit tests of src/resources/: PipelineRuns, NodePools, nodes and runner pods
// in given states. Pods look as the API server and the kubelet report them: built by
// buildRunnerPod (so container names and order are the real ones), then given a phase, a node,
// conditions and container states. Times are seconds after T0, written as the API server
// writes them (RFC 3339, whole seconds).
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import type { ContainerStatus, Json, Node, Pod, Taint } from '../../src/kube/json.ts';
import type { PlanConfig } from '../../src/resources/pipelinerun/plan.ts';
import { buildRunnerPod } from '../../src/resources/runner-pod/build.ts';
import type {
  NodePool,
  NodePoolSpec,
  PipelineRun,
  PipelineRunSpec,
  PipelineRunStatus,
} from '../../src/resources/types.ts';

/** The tests' epoch: every time is a number of seconds after it. */
export const T0 = Date.parse('2025-06-02T10:00:00Z');

/** The clock at T0 + `seconds`, in ms. */
export function at(seconds: number): number {
  return T0 + seconds * 1000;
}

/** T0 + `seconds` as a timestamp in an object: "2025-06-02T10:00:05Z". */
export function iso(seconds: number): string {
  return new Date(at(seconds)).toISOString().replace('.000Z', 'Z');
}

export const gitImage = 'docker.io/alpine/git:2.49.1';

/** The operator's settings for planRun: no default TTL, 5 min pending timeout, 2 infrastructure retries. */
export const planConfig: PlanConfig = {
  defaultTtlSeconds: undefined,
  defaultPendingTimeoutMs: 300_000,
  maxInfrastructureRetries: 2,
  gitImage,
  // Pods carry the logs finalizer; no finished run says its logs aren't kept (one test does).
  archiveLogs: true,
};

// --- PipelineRuns ---

export interface RunOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  /** creationTimestamp, seconds after T0. */
  created?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Replaces fields of the default spec. */
  spec?: Partial<PipelineRunSpec>;
  status?: PipelineRunStatus;
}

/** Three steps after a git checkout: build and test run as init containers, package as the main one. */
export const defaultSteps: PipelineRunSpec['steps'] = [
  { name: 'build', command: ['make'] },
  { name: 'test', command: ['make', 'test'] },
  { name: 'package', script: 'tar czf dist.tgz dist/\n' },
];

export function makeRun(o: RunOptions = {}): PipelineRun {
  const name = o.name ?? 'app';
  return {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: {
      name,
      namespace: o.namespace ?? 'ci',
      uid: o.uid ?? `uid-${name}`,
      generation: o.generation ?? 1,
      resourceVersion: '100',
      creationTimestamp: iso(o.created ?? 0),
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      pool: 'peasant',
      image: 'alpine:3.22',
      source: { git: { url: 'https://example.com/app.git', revision: 'main' } },
      steps: defaultSteps,
      ...o.spec,
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** The same run with another status (what the controller wrote). */
export function withStatus(run: PipelineRun, status: PipelineRunStatus | undefined): PipelineRun {
  const copy = structuredClone(run);
  if (status === undefined) delete copy.status;
  else copy.status = structuredClone(status);
  return copy;
}

/** The same run with its spec changed, and its generation bumped as the API server does. */
export function withSpec(run: PipelineRun, spec: Partial<PipelineRunSpec>): PipelineRun {
  const copy = structuredClone(run);
  copy.spec = { ...copy.spec, ...spec };
  copy.metadata.generation = (copy.metadata.generation ?? 1) + 1;
  return copy;
}

// --- NodePools and nodes ---

export interface PoolOptions {
  name?: string;
  created?: number;
  generation?: number;
  /** deletionTimestamp, seconds after T0. */
  deleting?: number;
  spec?: Partial<NodePoolSpec>;
  status?: NodePool['status'];
}

export function makePool(o: PoolOptions = {}): NodePool {
  const name = o.name ?? 'peasant';
  return {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'NodePool',
    metadata: {
      name,
      uid: `uid-pool-${name}`,
      generation: o.generation ?? 1,
      creationTimestamp: iso(o.created ?? -3600),
      ...(o.deleting !== undefined ? { deletionTimestamp: iso(o.deleting) } : {}),
    },
    spec: { nodeSelector: { matchLabels: { 'furrow.dev/class': name } }, ...o.spec },
    ...(o.status ? { status: o.status } : {}),
  };
}

export interface NodeOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  /** Ready=True unless false. */
  ready?: boolean;
  unschedulable?: boolean;
  resourceVersion?: string;
}

export function makeNode(name: string, o: NodeOptions = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      resourceVersion: o.resourceVersion ?? '7',
      labels: { 'kubernetes.io/hostname': name, ...o.labels },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      ...(o.taints ? { taints: o.taints } : {}),
      ...(o.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: o.ready === false ? 'False' : 'True',
          reason: o.ready === false ? 'KubeletNotReady' : 'KubeletReady',
        },
      ],
    },
  };
}

// --- Runner pods ---

export type ContainerState = NonNullable<ContainerStatus['state']>;
export type PodCondition = Json<k8s.V1PodCondition>;

export function waiting(reason: string, message?: string): ContainerState {
  return { waiting: { reason, ...(message !== undefined ? { message } : {}) } };
}

export function running(startedAt: number): ContainerState {
  return { running: { startedAt: iso(startedAt) } };
}

/** The kubelet's reason is Completed for exit code 0, Error otherwise (OOMKilled when it was). */
export function terminated(
  exitCode: number,
  startedAt: number,
  finishedAt: number,
  extra: { reason?: string; message?: string } = {},
): ContainerState {
  return {
    terminated: {
      exitCode,
      reason: extra.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      startedAt: iso(startedAt),
      finishedAt: iso(finishedAt),
      ...(extra.message !== undefined ? { message: extra.message } : {}),
    },
  };
}

/** The wrapper's termination message (src/resources/runner-pod/step-wrapper.ts). */
export function wrapperReport(exitCode: number, timedOut = false): string {
  return `exitCode=${exitCode} timedOut=${timedOut}\n`;
}

export function unschedulable(
  message = '0/3 nodes are available: 3 node(s) did not match Pod’s node affinity/selector.',
): PodCondition {
  return { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message };
}

export function disruptionTarget(reason: string, message: string): PodCondition {
  return { type: 'DisruptionTarget', status: 'True', reason, message };
}

export interface PodOptions {
  attempt?: number;
  /** The pool the pod was built for (default: makePool()). */
  pool?: NodePool;
  /** creationTimestamp, seconds after T0. */
  created: number;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** The node the scheduler bound it to; a pod without one has no container statuses yet. */
  nodeName?: string;
  /** Container states by container name; the others are waiting as the kubelet shows them. */
  states?: Record<string, ContainerState>;
  /** More pod conditions (PodScheduled=True is there once the pod has a node). */
  conditions?: PodCondition[];
  /** status.reason and status.message of the pod (Evicted, DeadlineExceeded, ...). */
  reason?: string;
  message?: string;
  /** deletionTimestamp, seconds after T0. */
  deleting?: number;
}

/** The runner pod of `run`'s attempt, as the API server would return it in the given state. */
export function makePod(run: PipelineRun, o: PodOptions): Pod {
  const attempt = o.attempt ?? 1;
  const pod = buildRunnerPod({ run, pool: o.pool ?? makePool(), attempt, remainingMs: 3_600_000, gitImage });
  const metadata = pod.metadata ?? {};
  metadata.uid = `uid-${metadata.name ?? ''}`;
  metadata.resourceVersion = '200';
  metadata.creationTimestamp = iso(o.created);
  if (o.deleting !== undefined) {
    metadata.deletionTimestamp = iso(o.deleting);
    metadata.deletionGracePeriodSeconds = 30;
  }
  const spec = pod.spec ?? { containers: [] };
  if (o.nodeName !== undefined) spec.nodeName = o.nodeName;
  const states = o.states ?? {};
  const known = new Set([...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name));
  for (const name of Object.keys(states)) assert.ok(known.has(name), `the pod has no container ${name}`);
  const hasInit = (spec.initContainers ?? []).length > 0;
  const status = (c: k8s.V1Container | Json<k8s.V1Container>, idle: string): ContainerStatus => {
    const state = states[c.name] ?? waiting(idle);
    return {
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: state.running !== undefined,
      restartCount: 0,
      started: state.running !== undefined,
      state,
    };
  };
  pod.status = {
    phase: o.phase ?? 'Pending',
    conditions: [
      ...(o.nodeName !== undefined ? [{ type: 'PodScheduled', status: 'True' }] : []),
      ...(o.conditions ?? []),
    ],
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.message !== undefined ? { message: o.message } : {}),
    ...(o.nodeName !== undefined
      ? {
          startTime: iso(o.created),
          ...(hasInit
            ? { initContainerStatuses: (spec.initContainers ?? []).map((c) => status(c, 'PodInitializing')) }
            : {}),
          containerStatuses: spec.containers.map((c) =>
            status(c, hasInit ? 'PodInitializing' : 'ContainerCreating'),
          ),
        }
      : {}),
  };
  return pod;
}

// --- assertions ---

/**
 * Asserts that `actual` has every field `expected` has, with the same value (recursively;
 * arrays must have the same length). An `undefined` in `expected` asserts the field is absent.
 */
export function assertSubset(actual: unknown, expected: unknown, path = '$'): void {
  if (expected === undefined) {
    assert.equal(actual, undefined, `${path} should be absent`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} should be an array, is ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => {
      assertSubset(actual[i], e, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(
      actual !== null && typeof actual === 'object',
      `${path} should be an object, is ${JSON.stringify(actual)}`,
    );
    for (const [key, value] of Object.entries(expected)) {
      assertSubset((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}
