// planRun, scenario by scenario: a run (spec and status as last written), its pool, its pods as
// the API server reports them, the pool's admission verdict and the clock → the status the run
// should have, and what the controller must do. Statuses a scenario starts from are the ones
// earlier scenarios produced, as the controller would have written them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../src/kube/json.ts';
import { computeQueue } from '../../../../src/resources/nodepool/queue.ts';
import type { Admission } from '../../../../src/resources/api.ts';
import {
  planRun,
  type PlanConfig,
  type RunAction,
  type RunInput,
  type RunPlan,
} from '../../../../src/resources/pipelinerun/plan.ts';
import type {
  NodePool,
  PipelineRun,
  PipelineRunPhase,
  PipelineRunStatus,
} from '../../../../src/resources/types.ts';
import {
  assertSubset,
  at,
  disruptionTarget,
  gitImage,
  iso,
  makePod,
  makePool,
  makeRun,
  running,
  terminated,
  unschedulable,
  waiting,
  withSpec,
  withStatus,
  wrapperReport,
  type PodOptions,
} from '../../../support/builders.ts';

const config: PlanConfig = {
  defaultTtlSeconds: undefined,
  defaultPendingTimeoutMs: 300_000,
  maxInfrastructureRetries: 2,
  gitImage,
};
const admitted: Admission = { state: 'admitted' };
const pool = makePool();

interface Input {
  run: PipelineRun;
  now: number;
  /** null: the pool doesn't exist. */
  pool?: NodePool | null;
  pods?: Pod[];
  admission?: Admission;
  config?: Partial<PlanConfig>;
  invalidSpec?: string;
}

function plan(i: Input): RunPlan {
  const input: RunInput = {
    run: i.run,
    pool: i.pool === null ? undefined : (i.pool ?? pool),
    pods: i.pods ?? [],
    admission: i.admission ?? admitted,
    now: i.now,
    config: { ...config, ...i.config },
    ...(i.invalidSpec !== undefined ? { invalidSpec: i.invalidSpec } : {}),
  };
  const before = structuredClone(input);
  const result = planRun(input);
  assert.deepEqual(input, before, 'planRun must not modify its input');
  return result;
}

/** The run with the status a plan computed, as the controller writes it. */
function after(i: Input): PipelineRun {
  return withStatus(i.run, plan(i).status);
}

function describe(action: RunAction): string {
  switch (action.type) {
    case 'createPod':
      return `createPod ${action.pod.metadata?.name ?? ''} attempt=${action.attempt}`;
    case 'deletePod':
      return `deletePod ${action.pod.metadata?.name ?? ''} grace=${action.gracePeriodSeconds}`;
    case 'deleteRun':
      return 'deleteRun';
  }
}

// --- the runs and pods of the scenarios ---
// A run created at 0 and admitted at 10: its pod is created at 10, lands on node-1, checks out
// (12-15), builds (15-40), tests (40-100) and packages (100-120).

const node = 'node-1';
const fresh = makeRun({ created: 0 });

/** The runner pod of `run` (attempt 1 unless said), created at 10 on node-1. */
function pod(run: PipelineRun, o: Partial<PodOptions> = {}): Pod {
  return makePod(run, { created: 10, nodeName: node, ...o });
}

const checkedOut = { 'furrow-checkout': terminated(0, 12, 15) };
const built = { ...checkedOut, build: terminated(0, 15, 40) };
const testing = (run: PipelineRun) => pod(run, { states: { ...built, test: running(40) } });
const testFailed = (run: PipelineRun, o: Partial<PodOptions> = {}) =>
  pod(run, { phase: 'Failed', states: { ...built, test: terminated(3, 40, 70) }, ...o });
const allDone = (run: PipelineRun) =>
  pod(run, {
    phase: 'Succeeded',
    states: { ...built, test: terminated(0, 40, 100), package: terminated(0, 100, 120) },
  });

const queuedStatus = plan({
  run: fresh,
  now: at(0),
  admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'NodePool peasant is full', position: 4 },
}).status;
const queued = withStatus(fresh, queuedStatus);
/** What the happy path writes first: Running (the Pending write was deferred and not needed). */
const runningRun = after({ run: fresh, pods: [testing(fresh)], now: at(50) });

const withRetries = makeRun({ spec: { retries: { limit: 1 } } });
const withRetriesRunning = after({ run: withRetries, pods: [testing(withRetries)], now: at(50) });
/** Attempt 1 failed at 70; the status says Retrying. */
const retrying = after({ run: withRetriesRunning, pods: [testFailed(withRetries)], now: at(72) });
/** Attempt 2's pod created at 82, after the 10 s backoff. */
const secondAttempt = after({ run: retrying, pods: [testFailed(withRetries)], now: at(82) });
const pod2 = (o: Partial<PodOptions> = {}) => pod(withRetries, { attempt: 2, created: 82, ...o });
const pod2Failed = pod2({
  phase: 'Failed',
  states: {
    'furrow-checkout': terminated(0, 84, 85),
    build: terminated(0, 85, 100),
    test: terminated(3, 100, 140),
  },
});

const continueRun = makeRun({
  spec: {
    steps: [
      { name: 'build', command: ['make'] },
      { name: 'test', command: ['make', 'test'], onError: 'continue' },
      { name: 'package', script: 'tar czf dist.tgz dist/\n' },
    ],
  },
});
const timeoutRun = makeRun({
  spec: {
    steps: [
      { name: 'build', command: ['make'] },
      { name: 'test', command: ['make', 'test'], timeout: '1m' },
      { name: 'package', script: 'tar czf dist.tgz dist/\n' },
    ],
  },
});
const timeoutRunning = after({ run: timeoutRun, pods: [testing(timeoutRun)], now: at(50) });
const shortRun = makeRun({ spec: { timeout: '10m' } });
const shortRunning = after({ run: shortRun, pods: [testing(shortRun)], now: at(50) });
const succeeded = after({ run: runningRun, pods: [allDone(fresh)], now: at(125) });

const evicted = (run: PipelineRun, attempt = 1, created = 10) =>
  pod(run, {
    attempt,
    created,
    phase: 'Failed',
    reason: 'Evicted',
    message: 'The node was low on resource: memory.',
    states: { ...built, test: terminated(137, 40, 60) },
  });

interface Expect {
  phase: PipelineRunPhase;
  reason: string;
  status?: Partial<Record<keyof PipelineRunStatus, unknown>>;
  actions?: string[];
  /** Present: the plan's requeueAfterMs must be this (undefined: none). */
  requeueAfterMs?: number | undefined;
  writeNotBefore?: number | undefined;
  /** The status is the one the run already has. */
  unchanged?: boolean;
}

interface Scenario {
  name: string;
  input: Input;
  expect: Expect;
}

const waitingSteps = [
  { name: 'build', state: 'waiting', reason: undefined },
  { name: 'test', state: 'waiting' },
  { name: 'package', state: 'waiting' },
];

const scenarios: Scenario[] = [
  // --- admission ---
  {
    name: 'a fresh run admitted: create attempt 1’s pod; Pending, written only if still so in 2 s',
    input: { run: fresh, now: at(10) },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-1 attempt=1'],
      writeNotBefore: at(12),
      requeueAfterMs: 300_000,
      status: {
        message: 'created pod app-1 on pool peasant',
        podName: 'app-1',
        attempt: 1,
        startTime: iso(10),
        nodeName: undefined,
        observedGeneration: 1,
        steps: waitingSteps,
        attempts: [{ attempt: 1, podName: 'app-1', phase: 'Pending', startTime: undefined }],
        conditions: [
          {
            type: 'Admitted',
            status: 'True',
            reason: 'Admitted',
            lastTransitionTime: iso(10),
            observedGeneration: 1,
          },
          { type: 'Succeeded', status: 'Unknown', reason: 'Pending' },
        ],
      },
    },
  },
  {
    name: 'a queued run admitted: Admitted turns True, the queue position goes',
    input: { run: queued, now: at(10) },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-1 attempt=1'],
      status: {
        queuePosition: undefined,
        conditions: [
          { type: 'Admitted', status: 'True', reason: 'Admitted', lastTransitionTime: iso(10) },
          { type: 'Succeeded', status: 'Unknown', reason: 'Pending', lastTransitionTime: iso(0) },
        ],
      },
    },
  },
  {
    name: 'the pool doesn’t exist: Queued, PoolNotFound, no position',
    input: {
      run: fresh,
      now: at(5),
      pool: null,
      admission:
        computeQueue({
          poolName: 'peasant',
          pool: undefined,
          readyNodes: 0,
          nodeSlots: 0,
          runs: [
            {
              key: 'ci/app',
              namespace: 'ci',
              name: 'app',
              priority: 0,
              created: at(0),
              started: false,
              final: false,
              cancelled: false,
            },
          ],
          namespaceAllowed: () => true,
        }).admissions.get('ci/app') ?? admitted,
    },
    expect: {
      phase: 'Queued',
      reason: 'PoolNotFound',
      actions: [],
      status: {
        message: 'NodePool peasant does not exist',
        queuePosition: undefined,
        startTime: undefined,
        podName: undefined,
        conditions: [
          {
            type: 'Admitted',
            status: 'False',
            reason: 'PoolNotFound',
            message: 'NodePool peasant does not exist',
          },
          { type: 'Succeeded', status: 'Unknown', reason: 'Queued' },
        ],
      },
    },
  },
  {
    name: 'queued behind others: Queued with its position',
    input: {
      run: fresh,
      now: at(1),
      admission: {
        state: 'queued',
        reason: 'PoolAtCapacity',
        message: 'NodePool peasant is full: 2 of 2',
        position: 3,
      },
    },
    expect: {
      phase: 'Queued',
      reason: 'PoolAtCapacity',
      actions: [],
      status: { queuePosition: 3, message: 'NodePool peasant is full: 2 of 2', observedGeneration: 1 },
    },
  },
  {
    name: 'refused by the pool’s namespaceSelector: Failed PoolNotAllowed, no pod',
    input: {
      run: queued,
      now: at(3),
      admission: {
        state: 'refused',
        reason: 'PoolNotAllowed',
        message: 'NodePool peasant does not admit runs from namespace ci (its namespaceSelector)',
      },
    },
    expect: {
      phase: 'Failed',
      reason: 'PoolNotAllowed',
      actions: [],
      requeueAfterMs: undefined,
      status: {
        message: 'NodePool peasant does not admit runs from namespace ci (its namespaceSelector)',
        completionTime: iso(3),
        startTime: undefined,
        duration: undefined,
        queuePosition: undefined,
        steps: undefined,
        attempts: undefined,
        podName: undefined,
        conditions: [
          { type: 'Admitted', status: 'False', reason: 'PoolNotAllowed' },
          { type: 'Succeeded', status: 'False', reason: 'PoolNotAllowed' },
        ],
      },
    },
  },

  // --- a pod that hasn't started ---
  {
    name: 'pod waiting for a node for 1 s: Pending, written only if still so at 2 s',
    input: { run: fresh, now: at(11), pods: [makePod(fresh, { created: 10 })] },
    expect: {
      phase: 'Pending',
      reason: 'Scheduling',
      actions: [],
      writeNotBefore: at(12),
      requeueAfterMs: 299_000,
      status: { message: 'pod app-1 is waiting for a node', startTime: iso(10), podName: 'app-1' },
    },
  },
  {
    name: 'pod on its node, containers being created',
    input: { run: fresh, now: at(11), pods: [pod(fresh)] },
    expect: {
      phase: 'Pending',
      reason: 'PodInitializing',
      status: {
        message: 'pod app-1 is starting on node-1',
        nodeName: node,
        attempts: [{ attempt: 1, nodeName: node, startTime: iso(10), phase: 'Pending' }],
      },
    },
  },
  {
    name: 'unschedulable, within the pending timeout: Pending Unschedulable, written at once',
    input: {
      run: fresh,
      now: at(70),
      pods: [makePod(fresh, { created: 10, conditions: [unschedulable()] })],
    },
    expect: {
      phase: 'Pending',
      reason: 'Unschedulable',
      actions: [],
      writeNotBefore: undefined,
      requeueAfterMs: 240_000,
    },
  },
  {
    name: 'unschedulable past the operator’s default pending timeout: the pod goes, the run fails',
    input: {
      run: fresh,
      now: at(310),
      pods: [makePod(fresh, { created: 10, conditions: [unschedulable()] })],
    },
    expect: {
      phase: 'Failed',
      reason: 'Unschedulable',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message:
          '0/3 nodes are available: 3 node(s) did not match Pod’s node affinity/selector. (pending for more than 5m0s)',
        attempts: [
          {
            attempt: 1,
            phase: 'Failed',
            reason: 'Unschedulable',
            countsAgainstLimit: true,
            completionTime: iso(310),
          },
        ],
      },
    },
  },
  {
    name: 'unschedulable past the pool’s pendingTimeout (2m)',
    input: {
      run: fresh,
      now: at(130),
      pool: makePool({ spec: { runner: { pendingTimeout: '2m' } } }),
      pods: [makePod(fresh, { created: 10, conditions: [unschedulable()] })],
    },
    expect: { phase: 'Failed', reason: 'Unschedulable', actions: ['deletePod app-1 grace=0'] },
  },
  {
    name: 'unschedulable just short of the pool’s pendingTimeout',
    input: {
      run: fresh,
      now: at(129),
      pool: makePool({ spec: { runner: { pendingTimeout: '2m' } } }),
      pods: [makePod(fresh, { created: 10, conditions: [unschedulable()] })],
    },
    expect: { phase: 'Pending', reason: 'Unschedulable', actions: [], requeueAfterMs: 1000 },
  },
  {
    name: 'unschedulable counts against retries: with retries.limit 1 the run retries after the backoff',
    input: {
      run: withRetries,
      now: at(310),
      pods: [makePod(withRetries, { created: 10, conditions: [unschedulable()] })],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: ['deletePod app-1 grace=0'],
      requeueAfterMs: 10_000,
      status: { attempts: [{ attempt: 1, reason: 'Unschedulable', countsAgainstLimit: true }] },
    },
  },
  {
    name: 'an image that can’t be pulled, past the pending timeout: ImagePullFailed',
    input: {
      run: fresh,
      now: at(310),
      pods: [
        pod(fresh, {
          states: {
            'furrow-checkout': waiting(
              'ErrImagePull',
              'failed to pull and unpack image "docker.io/alpine/git:2.49.1"',
            ),
          },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'ImagePullFailed',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message:
          'container furrow-checkout can’t pull image docker.io/alpine/git:2.49.1: failed to pull and unpack image "docker.io/alpine/git:2.49.1" (pending for more than 5m0s)'.replace(
            'can’t',
            "can't",
          ),
        attempts: [{ attempt: 1, reason: 'ImagePullFailed', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'ImagePullBackOff within the pending timeout: Pending with the reason',
    input: {
      run: fresh,
      now: at(60),
      pods: [pod(fresh, { states: { 'furrow-checkout': waiting('ImagePullBackOff') } })],
    },
    expect: {
      phase: 'Pending',
      reason: 'ImagePullFailed',
      actions: [],
      writeNotBefore: undefined,
      requeueAfterMs: 250_000,
    },
  },

  {
    name: 'a later step’s image can’t be pulled: ImagePullFailed once it has waited the pending timeout',
    input: {
      run: runningRun,
      now: at(340),
      pods: [pod(fresh, { states: { ...built, test: waiting('ErrImagePull', 'manifest unknown') } })],
    },
    expect: {
      phase: 'Failed',
      reason: 'ImagePullFailed',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message: "container test can't pull image alpine:3.22: manifest unknown (pending for more than 5m0s)",
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'skipped', reason: 'ImagePullFailed' },
          { name: 'package', state: 'skipped' },
        ],
        attempts: [{ attempt: 1, reason: 'ImagePullFailed', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'a later step’s image can’t be pulled yet: the wait counts from when the step before it ended',
    input: {
      run: runningRun,
      now: at(339),
      pods: [
        pod(fresh, { states: { ...built, test: waiting('ImagePullBackOff', 'Back-off pulling image') } }),
      ],
    },
    expect: {
      phase: 'Running',
      reason: 'Running',
      actions: [],
      requeueAfterMs: 1000,
      status: {
        steps: [
          { name: 'build' },
          { name: 'test', state: 'waiting', reason: 'ImagePullBackOff' },
          { name: 'package' },
        ],
      },
    },
  },
  {
    name: 'a second service’s image can’t be pulled while the first runs: ImagePullFailed too',
    input: (() => {
      const run = makeRun({
        spec: {
          services: [
            { name: 'db', image: 'postgres:17' },
            { name: 'cache', image: 'redis:8-typo' },
          ],
        },
      });
      return {
        run,
        now: at(312),
        pods: [pod(run, { states: { db: running(12), cache: waiting('ErrImagePull', 'not found') } })],
      };
    })(),
    expect: { phase: 'Failed', reason: 'ImagePullFailed', actions: ['deletePod app-1 grace=0'] },
  },

  // --- running ---
  {
    name: 'running: step progress, current step, startTime from the first pod’s creation',
    input: { run: fresh, now: at(50), pods: [testing(fresh)] },
    expect: {
      phase: 'Running',
      reason: 'Running',
      actions: [],
      requeueAfterMs: 3_560_000,
      writeNotBefore: undefined,
      status: {
        message: 'step test is running',
        podName: 'app-1',
        nodeName: node,
        startTime: iso(10),
        attempt: 1,
        currentStep: 'test',
        observedGeneration: 1,
        steps: [
          {
            name: 'build',
            state: 'succeeded',
            exitCode: 0,
            startedAt: iso(15),
            finishedAt: iso(40),
            reason: 'Completed',
          },
          { name: 'test', state: 'running', startedAt: iso(40), exitCode: undefined },
          { name: 'package', state: 'waiting', reason: 'PodInitializing' },
        ],
        attempts: [{ attempt: 1, podName: 'app-1', nodeName: node, startTime: iso(10), phase: 'Running' }],
        conditions: [
          { type: 'Admitted', status: 'True' },
          { type: 'Succeeded', status: 'Unknown', reason: 'Running', message: 'step test is running' },
        ],
      },
    },
  },
  {
    name: 'running on: conditions keep their lastTransitionTime while their status holds',
    input: {
      run: runningRun,
      now: at(110),
      pods: [
        pod(fresh, {
          phase: 'Running',
          states: { ...built, test: terminated(0, 40, 100), package: running(100) },
        }),
      ],
    },
    expect: {
      phase: 'Running',
      reason: 'Running',
      status: {
        currentStep: 'package',
        conditions: [
          { type: 'Admitted', status: 'True', lastTransitionTime: iso(50) },
          {
            type: 'Succeeded',
            status: 'Unknown',
            lastTransitionTime: iso(50),
            message: 'step package is running',
          },
        ],
      },
    },
  },
  {
    name: 'observedGeneration is the generation the pod was built from, not a later edit',
    input: {
      run: withSpec(withSpec(runningRun, { priority: 5 }), { priority: 6 }),
      now: at(60),
      pods: [testing(withSpec(fresh, { priority: 5 }))],
    },
    expect: {
      phase: 'Running',
      reason: 'Running',
      status: {
        observedGeneration: 2,
        conditions: [
          { type: 'Admitted', observedGeneration: 2 },
          { type: 'Succeeded', observedGeneration: 2 },
        ],
      },
    },
  },

  // --- finished pods ---
  {
    name: 'pod succeeded: Succeeded, completionTime when its last container finished, duration',
    input: { run: runningRun, now: at(125), pods: [allDone(fresh)] },
    expect: {
      phase: 'Succeeded',
      reason: 'Succeeded',
      actions: [],
      requeueAfterMs: undefined,
      status: {
        message: 'all 3 steps succeeded',
        completionTime: iso(120),
        duration: '1m50s',
        startTime: iso(10),
        currentStep: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'succeeded', exitCode: 0, finishedAt: iso(100) },
          { name: 'package', state: 'succeeded', exitCode: 0 },
        ],
        attempts: [
          { attempt: 1, phase: 'Succeeded', completionTime: iso(120), countsAgainstLimit: undefined },
        ],
        conditions: [
          { type: 'Admitted', status: 'True', lastTransitionTime: iso(50) },
          { type: 'Succeeded', status: 'True', reason: 'Succeeded', lastTransitionTime: iso(125) },
        ],
      },
    },
  },
  {
    name: 'a step exits 3: Failed StepFailed, its exit code in steps, later steps skipped',
    input: { run: runningRun, now: at(72), pods: [testFailed(fresh)] },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      actions: [],
      status: {
        message: 'step test exited with code 3',
        currentStep: 'test',
        completionTime: iso(72),
        duration: '1m2s',
        steps: [
          { name: 'build', state: 'succeeded', exitCode: 0 },
          {
            name: 'test',
            state: 'failed',
            exitCode: 3,
            reason: 'Error',
            message: 'exited with code 3',
            finishedAt: iso(70),
          },
          { name: 'package', state: 'skipped', reason: 'StepFailed' },
        ],
        attempts: [{ attempt: 1, phase: 'Failed', reason: 'StepFailed', countsAgainstLimit: true }],
        conditions: [{ type: 'Admitted' }, { type: 'Succeeded', status: 'False', reason: 'StepFailed' }],
      },
    },
  },
  {
    name: 'a step killed for memory says so',
    input: {
      run: runningRun,
      now: at(72),
      pods: [
        pod(fresh, {
          phase: 'Failed',
          states: { ...built, test: terminated(137, 40, 70, { reason: 'OOMKilled' }) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      status: {
        message: 'step test exited with code 137 (out of memory)',
        steps: [
          { name: 'build' },
          { name: 'test', state: 'failed', exitCode: 137, reason: 'OOMKilled' },
          { name: 'package' },
        ],
      },
    },
  },
  {
    name: 'the checkout fails: CheckoutFailed, every step skipped',
    input: {
      run: runningRun,
      now: at(20),
      pods: [pod(fresh, { phase: 'Failed', states: { 'furrow-checkout': terminated(128, 12, 15) } })],
    },
    expect: {
      phase: 'Failed',
      reason: 'CheckoutFailed',
      status: {
        message: 'checking out the source failed (exit code 128)',
        steps: [
          { name: 'build', state: 'skipped', reason: 'CheckoutFailed' },
          { name: 'test', state: 'skipped' },
          { name: 'package', state: 'skipped' },
        ],
      },
    },
  },
  {
    name: 'onError: continue: the step fails (its wrapper says exit 3, the container exits 0), the run succeeds',
    input: {
      run: after({ run: continueRun, pods: [testing(continueRun)], now: at(50) }),
      now: at(95),
      pods: [
        pod(continueRun, {
          phase: 'Succeeded',
          states: {
            ...built,
            test: terminated(0, 40, 70, { message: wrapperReport(3) }),
            package: terminated(0, 70, 90),
          },
        }),
      ],
    },
    expect: {
      phase: 'Succeeded',
      reason: 'Succeeded',
      status: {
        message: 'succeeded; step test failed with onError: continue',
        completionTime: iso(90),
        steps: [
          { name: 'build', state: 'succeeded' },
          {
            name: 'test',
            state: 'failed',
            exitCode: 3,
            reason: 'Error',
            message: 'exited with code 3; onError: continue, the run went on',
          },
          { name: 'package', state: 'succeeded', exitCode: 0 },
        ],
        conditions: [{ type: 'Admitted' }, { type: 'Succeeded', status: 'True' }],
      },
    },
  },
  {
    name: 'the wrapper reports a timeout: StepTimedOut',
    input: {
      run: timeoutRunning,
      now: at(105),
      pods: [
        pod(timeoutRun, {
          phase: 'Failed',
          states: { ...built, test: terminated(124, 40, 100, { message: wrapperReport(124, true) }) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepTimedOut',
      actions: [],
      status: {
        message: 'step test ran longer than its timeout (1m)',
        steps: [
          { name: 'build' },
          {
            name: 'test',
            state: 'failed',
            exitCode: 124,
            reason: 'TimedOut',
            message: 'ran longer than its timeout (1m)',
          },
          { name: 'package', state: 'skipped', reason: 'StepTimedOut' },
        ],
      },
    },
  },
  {
    name: 'a step within its timeout and grace: Running, checked again when the grace ends',
    input: { run: timeoutRunning, now: at(129), pods: [testing(timeoutRun)] },
    expect: { phase: 'Running', reason: 'Running', actions: [], requeueAfterMs: 1000 },
  },
  {
    name: 'a step running past its timeout + 30 s (its wrapper didn’t stop it): the operator does',
    input: { run: timeoutRunning, now: at(130), pods: [testing(timeoutRun)] },
    expect: {
      phase: 'Failed',
      reason: 'StepTimedOut',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'step test ran longer than its timeout (1m)',
        currentStep: 'test',
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'failed', reason: 'TimedOut', startedAt: iso(40), exitCode: undefined },
          { name: 'package', state: 'skipped', reason: 'StepTimedOut' },
        ],
        attempts: [{ attempt: 1, reason: 'StepTimedOut', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'the pod reached its activeDeadlineSeconds: TimedOut attempt',
    input: {
      run: runningRun,
      now: at(200),
      pods: [
        pod(fresh, {
          phase: 'Failed',
          reason: 'DeadlineExceeded',
          states: { ...built, test: terminated(137, 40, 199) },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'TimedOut',
      status: { message: 'the pod reached its activeDeadlineSeconds' },
    },
  },

  // --- the run's timeout ---
  {
    name: 'run timeout counts from startTime, not creation: 10m after creation it still runs',
    input: { run: shortRunning, now: at(605), pods: [testing(shortRun)] },
    expect: { phase: 'Running', reason: 'Running', actions: [], requeueAfterMs: 5000 },
  },
  {
    name: 'run timeout reached: TimedOut, live pods deleted, unfinished steps skipped',
    input: { run: shortRunning, now: at(610), pods: [testing(shortRun)] },
    expect: {
      phase: 'TimedOut',
      reason: 'TimedOut',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'the run did not finish within its timeout of 10m',
        completionTime: iso(610),
        duration: '10m0s',
        currentStep: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'skipped', reason: 'TimedOut' },
          { name: 'package', state: 'skipped', reason: 'TimedOut' },
        ],
        attempts: [
          { attempt: 1, phase: 'TimedOut', completionTime: iso(610), countsAgainstLimit: undefined },
        ],
        conditions: [
          { type: 'Admitted', status: 'True' },
          { type: 'Succeeded', status: 'False', reason: 'TimedOut' },
        ],
      },
    },
  },
  {
    name: 'run timeout while waiting for a retry: TimedOut without a pod to delete',
    input: { run: withSpec(retrying, { timeout: '1m' }), now: at(75), pods: [testFailed(withRetries)] },
    expect: { phase: 'TimedOut', reason: 'TimedOut', actions: [], status: { attempt: 1, podName: 'app-1' } },
  },

  // --- cancel ---
  {
    name: 'cancelled while running: Cancelled, the pod deleted with a short grace, unfinished steps skipped',
    input: { run: withSpec(runningRun, { cancelled: true }), now: at(60), pods: [testing(fresh)] },
    expect: {
      phase: 'Cancelled',
      reason: 'Cancelled',
      actions: ['deletePod app-1 grace=5'],
      status: {
        message: 'cancelled: spec.cancelled is true',
        completionTime: iso(60),
        duration: '50s',
        observedGeneration: 2,
        steps: [
          { name: 'build', state: 'succeeded', exitCode: 0 },
          { name: 'test', state: 'skipped', reason: 'Cancelled' },
          { name: 'package', state: 'skipped', reason: 'Cancelled' },
        ],
        attempts: [{ attempt: 1, phase: 'Cancelled', completionTime: iso(60) }],
        conditions: [
          { type: 'Admitted', status: 'True', lastTransitionTime: iso(50) },
          { type: 'Succeeded', status: 'False', reason: 'Cancelled', observedGeneration: 2 },
        ],
      },
    },
  },
  {
    name: 'cancelled while queued: Cancelled, no pod ever',
    input: {
      run: withSpec(queued, { cancelled: true }),
      now: at(5),
      admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'full', position: 4 },
    },
    expect: {
      phase: 'Cancelled',
      reason: 'Cancelled',
      actions: [],
      status: {
        completionTime: iso(5),
        startTime: undefined,
        duration: undefined,
        podName: undefined,
        attempt: undefined,
        steps: undefined,
        attempts: undefined,
        queuePosition: undefined,
        observedGeneration: 2,
        conditions: [
          { type: 'Admitted', status: 'False', reason: 'PoolAtCapacity' },
          { type: 'Succeeded', status: 'False', reason: 'Cancelled' },
        ],
      },
    },
  },

  // --- retries after step failures ---
  {
    name: 'a step fails with retries.limit 1: Pending Retrying, the next attempt after the 10 s default backoff',
    input: { run: withRetriesRunning, now: at(72), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: [],
      requeueAfterMs: 10_000,
      status: {
        message: 'attempt 1 failed: step test exited with code 3; attempt 2 starts in 10s',
        attempt: 1,
        podName: 'app-1',
        startTime: iso(10),
        currentStep: undefined,
        completionTime: undefined,
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'failed', exitCode: 3 },
          { name: 'package', state: 'skipped', reason: 'StepFailed' },
        ],
        attempts: [
          {
            attempt: 1,
            phase: 'Failed',
            reason: 'StepFailed',
            countsAgainstLimit: true,
            completionTime: iso(72),
            startTime: iso(10),
          },
        ],
        conditions: [
          { type: 'Admitted', status: 'True' },
          { type: 'Succeeded', status: 'Unknown', reason: 'Retrying' },
        ],
      },
    },
  },
  {
    name: 'during the backoff: nothing to do but wait for the rest of it',
    input: { run: retrying, now: at(77), pods: [testFailed(withRetries)] },
    expect: { phase: 'Pending', reason: 'Retrying', actions: [], requeueAfterMs: 5000, unchanged: true },
  },
  {
    name: 'after the backoff: attempt 2’s pod <run>-2, history kept, written at once',
    input: { run: retrying, now: at(82), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-2 attempt=2'],
      writeNotBefore: undefined,
      status: {
        attempt: 2,
        podName: 'app-2',
        startTime: iso(10),
        steps: waitingSteps,
        attempts: [
          { attempt: 1, phase: 'Failed', reason: 'StepFailed' },
          { attempt: 2, podName: 'app-2', phase: 'Pending' },
        ],
      },
    },
  },
  {
    name: 'attempt 2’s pod created but not yet in the cache: create it again (the API says it exists), not a lost pod',
    input: { run: secondAttempt, now: at(83), pods: [testFailed(withRetries)] },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-2 attempt=2'],
      status: {
        attempt: 2,
        attempts: [{ attempt: 1 }, { attempt: 2, phase: 'Pending', completionTime: undefined }],
      },
    },
  },
  {
    name: 'attempt 2 fails too and retries.limit 1 is used up: Failed, both attempts recorded',
    input: {
      run: after({
        run: secondAttempt,
        pods: [testFailed(withRetries), pod2({ states: { ...checkedOut, build: running(85) } })],
        now: at(90),
      }),
      now: at(141),
      pods: [testFailed(withRetries), pod2Failed],
    },
    expect: {
      phase: 'Failed',
      reason: 'StepFailed',
      actions: [],
      status: {
        message: 'step test exited with code 3 (after 2 attempts)',
        attempt: 2,
        podName: 'app-2',
        startTime: iso(10),
        attempts: [
          { attempt: 1, phase: 'Failed', countsAgainstLimit: true, podName: 'app-1' },
          {
            attempt: 2,
            phase: 'Failed',
            countsAgainstLimit: true,
            podName: 'app-2',
            startTime: iso(82),
            completionTime: iso(141),
          },
        ],
      },
    },
  },
  {
    name: 'the backoff doubles: the second retry waits 2 × retries.backoff',
    input: {
      run: withSpec(secondAttempt, { retries: { limit: 3, backoff: '30s' } }),
      now: at(141),
      pods: [testFailed(withRetries), pod2Failed],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      requeueAfterMs: 60_000,
      status: { message: 'attempt 2 failed: step test exited with code 3; attempt 3 starts in 1m0s' },
    },
  },
  {
    name: 'a pod of a later attempt than the status says (restart between create and status write): carry on with it',
    input: {
      run: retrying,
      now: at(100),
      pods: [testFailed(withRetries), pod2({ states: { ...checkedOut, build: running(85) } })],
    },
    expect: {
      phase: 'Running',
      reason: 'Running',
      actions: [],
      status: {
        attempt: 2,
        podName: 'app-2',
        currentStep: 'build',
        attempts: [
          { attempt: 1, phase: 'Failed' },
          { attempt: 2, phase: 'Running', startTime: iso(82) },
        ],
      },
    },
  },
  {
    name: 'a pod exists though no status was ever written (restart before the first write): carry on with it',
    input: {
      run: fresh,
      now: at(50),
      pods: [testing(fresh)],
      admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'full', position: 1 },
    },
    expect: { phase: 'Running', reason: 'Running', actions: [], status: { attempt: 1, podName: 'app-1' } },
  },

  // --- infrastructure failures: a new attempt at once, not counted against retries.limit ---
  {
    name: 'the pod was deleted by someone else (the status recorded it, it’s gone): a new attempt at once',
    input: { run: runningRun, now: at(60), pods: [] },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: [],
      requeueAfterMs: 0,
      status: {
        message:
          'attempt 1 failed: pod app-1 disappeared before it finished (deleted by someone else, or its node went away); attempt 2 starts now',
        nodeName: node,
        steps: [
          { name: 'build', state: 'skipped', reason: 'PodDeleted' },
          { name: 'test', state: 'skipped' },
          { name: 'package', state: 'skipped' },
        ],
        attempts: [
          {
            attempt: 1,
            phase: 'Failed',
            reason: 'PodDeleted',
            countsAgainstLimit: false,
            nodeName: node,
            startTime: iso(10),
          },
        ],
      },
    },
  },
  {
    name: 'after an infrastructure failure the next attempt starts without a backoff',
    input: { run: after({ run: runningRun, now: at(60), pods: [] }), now: at(60), pods: [] },
    expect: {
      phase: 'Pending',
      reason: 'Starting',
      actions: ['createPod app-2 attempt=2'],
      writeNotBefore: undefined,
    },
  },
  {
    name: 'the pod is being deleted but hasn’t finished (a drain, an admin): PodDeleted',
    input: {
      run: runningRun,
      now: at(60),
      pods: [pod(fresh, { deleting: 58, states: { ...built, test: running(40) } })],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: [],
      status: { attempts: [{ attempt: 1, reason: 'PodDeleted', countsAgainstLimit: false }] },
    },
  },
  {
    name: 'a pod failed with DisruptionTarget (preempted, evicted through the API)',
    input: {
      run: runningRun,
      now: at(62),
      pods: [
        pod(fresh, {
          phase: 'Failed',
          conditions: [
            disruptionTarget(
              'PreemptionByScheduler',
              'Kube-scheduler: preempting to accommodate a higher priority pod',
            ),
          ],
          states: { ...built, test: terminated(143, 40, 61) },
        }),
      ],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      requeueAfterMs: 0,
      status: {
        attempts: [
          {
            attempt: 1,
            reason: 'PreemptionByScheduler',
            countsAgainstLimit: false,
            message:
              'pod app-1 was disrupted: Kube-scheduler: preempting to accommodate a higher priority pod',
          },
        ],
      },
    },
  },
  {
    name: 'an evicted pod (retries.limit 0): a new attempt anyway',
    input: { run: runningRun, now: at(62), pods: [evicted(fresh)] },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      status: {
        message:
          'attempt 1 failed: pod app-1 failed on its node: The node was low on resource: memory.; attempt 2 starts now',
        attempts: [{ attempt: 1, reason: 'Evicted', countsAgainstLimit: false }],
      },
    },
  },
  {
    name: 'infrastructure failures are capped (maxInfrastructureRetries 2): the third ends the run',
    input: (() => {
      // Attempts 1 and 2 evicted; attempt 3 running, then evicted too.
      let run = after({ run: runningRun, now: at(62), pods: [evicted(fresh)] });
      run = after({ run, now: at(62), pods: [evicted(fresh)] });
      const third = evicted(fresh, 2, 62);
      run = after({ run, now: at(70), pods: [evicted(fresh), third] });
      run = after({ run, now: at(70), pods: [evicted(fresh), third] });
      const fourth = evicted(fresh, 3, 70);
      run = after({
        run,
        now: at(75),
        pods: [
          evicted(fresh),
          third,
          pod(fresh, { attempt: 3, created: 70, states: { ...built, test: running(72) } }),
        ],
      });
      return { run, now: at(80), pods: [evicted(fresh), third, fourth] };
    })(),
    expect: {
      phase: 'Failed',
      reason: 'Evicted',
      status: {
        message:
          'pod app-3 failed on its node: The node was low on resource: memory. (gave up after 3 infrastructure failures)',
        attempt: 3,
        attempts: [
          { attempt: 1, countsAgainstLimit: false },
          { attempt: 2, countsAgainstLimit: false },
          { attempt: 3, countsAgainstLimit: false, phase: 'Failed' },
        ],
      },
    },
  },

  // --- finished runs ---
  {
    name: 'finished, no TTL anywhere: kept, nothing to do',
    input: { run: succeeded, now: at(100_000), pods: [allDone(fresh)] },
    expect: {
      phase: 'Succeeded',
      reason: 'Succeeded',
      actions: [],
      requeueAfterMs: undefined,
      unchanged: true,
    },
  },
  {
    name: 'finished with the run’s ttlSecondsAfterFinished not yet passed: come back when it has',
    input: {
      run: withSpec(succeeded, { ttlSecondsAfterFinished: 60 }),
      now: at(150),
      pods: [allDone(fresh)],
    },
    expect: { phase: 'Succeeded', reason: 'Succeeded', actions: [], requeueAfterMs: 30_000, unchanged: true },
  },
  {
    name: 'finished with the run’s ttlSecondsAfterFinished passed: delete the run',
    input: {
      run: withSpec(succeeded, { ttlSecondsAfterFinished: 60 }),
      now: at(180),
      pods: [allDone(fresh)],
    },
    expect: { phase: 'Succeeded', reason: 'Succeeded', actions: ['deleteRun'], unchanged: true },
  },
  {
    name: 'finished, the pool’s runner.ttlSecondsAfterFinished when the run has none',
    input: {
      run: succeeded,
      now: at(200),
      pool: makePool({ spec: { runner: { ttlSecondsAfterFinished: 100 } } }),
      config: { defaultTtlSeconds: 5 },
    },
    expect: { phase: 'Succeeded', reason: 'Succeeded', actions: [], requeueAfterMs: 20_000 },
  },
  {
    name: 'finished, the operator’s default TTL when neither run nor pool has one',
    input: { run: succeeded, now: at(130), config: { defaultTtlSeconds: 10 } },
    expect: { phase: 'Succeeded', reason: 'Succeeded', actions: ['deleteRun'] },
  },
  {
    name: 'finished, the run’s ttlSecondsAfterFinished 0 beats the pool’s',
    input: {
      run: withSpec(succeeded, { ttlSecondsAfterFinished: 0 }),
      now: at(120),
      pool: makePool({ spec: { runner: { ttlSecondsAfterFinished: 3600 } } }),
    },
    expect: { phase: 'Succeeded', reason: 'Succeeded', actions: ['deleteRun'] },
  },
  {
    name: 'finished but a pod still runs (its delete didn’t land): delete it again',
    input: {
      run: after({ run: withSpec(runningRun, { cancelled: true }), now: at(60), pods: [testing(fresh)] }),
      now: at(70),
      pods: [testing(fresh)],
    },
    expect: {
      phase: 'Cancelled',
      reason: 'Cancelled',
      actions: ['deletePod app-1 grace=5'],
      unchanged: true,
    },
  },

  // --- invalid specs ---
  {
    name: 'an invalid spec (the validator refuses it) fails the run before it starts',
    input: { run: fresh, now: at(1), invalidSpec: 'spec.steps[0].image: a step has no image' },
    expect: {
      phase: 'Failed',
      reason: 'InvalidSpec',
      actions: [],
      status: {
        message: 'the spec is invalid: spec.steps[0].image: a step has no image',
        startTime: undefined,
        steps: undefined,
        conditions: [{ type: 'Succeeded', status: 'False', reason: 'InvalidSpec' }],
      },
    },
  },
  {
    name: 'an invalid spec doesn’t stop a run that already started',
    input: { run: runningRun, now: at(60), pods: [testing(fresh)], invalidSpec: 'whatever' },
    expect: { phase: 'Running', reason: 'Running', actions: [] },
  },
];

for (const s of scenarios) {
  test(`plan: ${s.name}`, () => {
    const result = plan(s.input);
    const { status } = result;
    assert.equal(
      status.phase,
      s.expect.phase,
      `phase (reason ${status.reason ?? ''}: ${status.message ?? ''})`,
    );
    assert.equal(status.reason, s.expect.reason, `reason (${status.message ?? ''})`);
    if (s.expect.actions) assert.deepEqual(result.actions.map(describe), s.expect.actions);
    if ('requeueAfterMs' in s.expect)
      assert.equal(result.requeueAfterMs, s.expect.requeueAfterMs, 'requeueAfterMs');
    if ('writeNotBefore' in s.expect)
      assert.equal(result.writeNotBefore, s.expect.writeNotBefore, 'writeNotBefore');
    if (s.expect.status) assertSubset(status, s.expect.status, 'status');
    if (s.expect.unchanged) assert.deepEqual(status, s.input.run.status ?? {});
    // Whatever the scenario: no undefined left in the status, and only known conditions.
    for (const [key, value] of Object.entries(status))
      assert.notEqual(value, undefined, `status.${key} is undefined`);
    for (const c of status.conditions ?? []) assert.ok(['Admitted', 'Succeeded'].includes(c.type), c.type);
  });
}

test('plan: the pod it creates is the runner pod of the attempt, with the time left as its deadline', () => {
  const result = plan({ run: retrying, now: at(82), pods: [testFailed(withRetries)] });
  const create = result.actions[0];
  assert.equal(create?.type, 'createPod');
  assert.equal(create.pod.metadata?.name, 'app-2');
  assert.equal(create.pod.metadata?.labels?.['furrow.dev/attempt'], '2');
  // Started at 10 with a 1h timeout, now 82: 3528 s left, plus the 30 s backstop.
  assert.equal(create.pod.spec?.activeDeadlineSeconds, 3528 + 30);
});

test('plan: the same input gives the same plan (a restarted operator decides the same)', () => {
  for (const s of scenarios) assert.deepEqual(plan(structuredClone(s.input)), plan(s.input), s.name);
});
