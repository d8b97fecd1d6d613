// planRun, scenario by scenario: containers the kubelet won't create (CreateContainerConfigError).
// A missing Secret or ConfigMap gets 30 s to appear, an image that runs as root under
// runner.runAsNonRoot fails at once; both are the job's failures, charged to retries.
import { at, iso, makePod, makePool, makeRun, running, waiting } from '../../../../support/builders.ts';
import { built, checkedOut, pod, runningRun, scenarioTests, type Scenario } from './scenarios.ts';

const missing = waiting('CreateContainerConfigError', 'secret "db-password" not found');
const withService = makeRun({ spec: { services: [{ name: 'db', image: 'postgres:17' }] } });
const withServiceRetries = makeRun({
  spec: { services: [{ name: 'db', image: 'postgres:17' }], retries: { limit: 1 } },
});
const nonRootPool = makePool({ spec: { runner: { runAsNonRoot: true } } });
const asRoot = (container: string) =>
  waiting(
    'CreateContainerConfigError',
    `container has runAsNonRoot and image will run as root (pod: "app-1_ci(uid-app-1)", container: ${container})`,
  );

/** The pod waited for room from 10 s to 300 s; the kubelet took it then and found no Secret. */
const lateStart = pod(withService, { states: { db: missing } });
if (lateStart.status) lateStart.status.startTime = iso(300);

const scenarios: Scenario[] = [
  {
    name: 'a service’s Secret is missing, 10 s in: Pending ConfigMissing, written at once, woken at 30 s',
    input: { run: withService, now: at(20), pods: [pod(withService, { states: { db: missing } })] },
    expect: {
      phase: 'Pending',
      reason: 'ConfigMissing',
      actions: [],
      writeNotBefore: undefined,
      requeueAfterMs: 20_000,
      status: { message: 'service db: secret "db-password" not found' },
    },
  },
  {
    name: 'a service’s Secret still missing after 30 s: the attempt fails, charged to retries',
    input: { run: withService, now: at(40), pods: [pod(withService, { states: { db: missing } })] },
    expect: {
      phase: 'Failed',
      reason: 'ConfigMissing',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message: 'service db: secret "db-password" not found (pending for more than 30s)',
        attempts: [{ attempt: 1, reason: 'ConfigMissing', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'a missing Secret with retries left: retried after the backoff, as ImagePullFailed is',
    input: {
      run: withServiceRetries,
      now: at(40),
      pods: [pod(withServiceRetries, { states: { db: missing } })],
    },
    expect: {
      phase: 'Pending',
      reason: 'Retrying',
      actions: ['deletePod app-1 grace=0'],
      requeueAfterMs: 10_000,
      status: { attempts: [{ attempt: 1, reason: 'ConfigMissing', countsAgainstLimit: true }] },
    },
  },
  {
    name: 'a pod that waited for room still gives a missing Secret 30 s from when the kubelet took it',
    input: { run: withService, now: at(320), pods: [lateStart] },
    expect: { phase: 'Pending', reason: 'ConfigMissing', actions: [], requeueAfterMs: 10_000 },
  },
  {
    name: 'a later step’s key is missing: the 30 s count from when the step before it ended',
    input: {
      run: runningRun,
      now: at(60),
      pods: [
        pod(runningRun, {
          states: {
            ...built,
            test: waiting('CreateContainerConfigError', "couldn't find key token in ConfigMap ci/settings"),
          },
        }),
      ],
    },
    expect: { phase: 'Running', reason: 'Running', actions: [], requeueAfterMs: 10_000 },
  },
  {
    name: 'a later step’s key still missing at 30 s: Failed ConfigMissing, the step skipped with the reason',
    input: {
      run: runningRun,
      now: at(70),
      pods: [
        pod(runningRun, {
          states: {
            ...built,
            test: waiting('CreateContainerConfigError', "couldn't find key token in ConfigMap ci/settings"),
          },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'ConfigMissing',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message: "step test: couldn't find key token in ConfigMap ci/settings (pending for more than 30s)",
        steps: [
          { name: 'build', state: 'succeeded' },
          { name: 'test', state: 'skipped', reason: 'ConfigMissing' },
          { name: 'package', state: 'skipped' },
        ],
      },
    },
  },
  {
    name: 'runAsNonRoot and a git image that runs as root: RunsAsRoot at once, naming the fix',
    input: {
      run: makeRun(),
      pool: nonRootPool,
      now: at(11),
      pods: [
        makePod(makeRun(), {
          created: 10,
          nodeName: 'node-1',
          pool: nonRootPool,
          states: { 'furrow-checkout': asRoot('furrow-checkout') },
        }),
      ],
    },
    expect: {
      phase: 'Failed',
      reason: 'RunsAsRoot',
      actions: ['deletePod app-1 grace=0'],
      status: {
        message:
          'the checkout (container furrow-checkout): image docker.io/alpine/git:2.49.1 runs as root, and the pool sets runner.runAsNonRoot: run the operator with a --git-image whose USER is a numeric uid other than 0',
        attempts: [{ attempt: 1, reason: 'RunsAsRoot', countsAgainstLimit: true }],
      },
    },
  },
  {
    name: 'runAsNonRoot and a step image that runs as root, after the checkout: RunsAsRoot at once',
    input: {
      run: runningRun,
      pool: nonRootPool,
      now: at(16),
      pods: [pod(runningRun, { pool: nonRootPool, states: { ...checkedOut, build: asRoot('build') } })],
    },
    expect: {
      phase: 'Failed',
      reason: 'RunsAsRoot',
      status: {
        message:
          'step build: image alpine:3.22 runs as root, and the pool sets runner.runAsNonRoot: give the image a numeric USER other than 0, or use a pool without runAsNonRoot',
      },
    },
  },
  {
    name: 'another config error: Pending ContainerConfigError until the pending timeout',
    input: {
      run: withService,
      now: at(20),
      pods: [
        pod(withService, {
          states: {
            db: waiting('CreateContainerConfigError', 'failed to prepare subPath for volumeMount "x"'),
          },
        }),
      ],
    },
    expect: { phase: 'Pending', reason: 'ContainerConfigError', actions: [], requeueAfterMs: 290_000 },
  },
  {
    name: 'the service started once its Secret appeared: Running, nothing charged',
    input: { run: withService, now: at(25), pods: [pod(withService, { states: { db: running(24) } })] },
    expect: { phase: 'Running', reason: 'Running', actions: [] },
  },
];

scenarioTests(scenarios);
