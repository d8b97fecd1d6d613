// planRun, scenario by scenario: a pod that hasn’t started: Pending, scheduling, stuck pods.
import {
  at,
  iso,
  makePod,
  makePool,
  makeRun,
  running,
  unschedulable,
  waiting,
} from '../../../../support/builders.ts';
import {
  built,
  fresh,
  node,
  pod,
  runningRun,
  scenarioTests,
  withRetries,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
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
    name: 'short of room only, long past the pending timeout: still Pending, never charged to retries',
    input: {
      run: withRetries,
      now: at(3000),
      pods: [
        makePod(withRetries, {
          created: 10,
          conditions: [unschedulable('0/3 nodes are available: 3 Insufficient cpu.')],
        }),
      ],
    },
    expect: {
      phase: 'Pending',
      reason: 'WaitingForRoom',
      actions: [],
      status: { message: '0/3 nodes are available: 3 Insufficient cpu.' },
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
];

scenarioTests(scenarios);
