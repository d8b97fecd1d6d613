// What a runner pod says about its attempt: started, stuck, finished, and who failed it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../src/kube/json.ts';
import {
  containerStatuses,
  createdAt,
  failureOf,
  finishedAt,
  hasStarted,
  isTerminal,
  lastContainerChange,
  configMissingGraceMs,
  stuckReason,
  type Failure,
} from '../../../../src/resources/pipelinerun/pod-reading.ts';
import {
  at,
  disruptionTarget,
  makePod,
  makeRun,
  running,
  terminated,
  unschedulable,
  waiting,
  wrapperReport,
  type PodOptions,
} from '../../../support/builders.ts';

const run = makeRun({
  spec: {
    services: [{ name: 'db', image: 'postgres:17' }],
    steps: [
      { name: 'build', command: ['make'] },
      { name: 'lint', command: ['make', 'lint'], onError: 'continue' },
      { name: 'test', command: ['make', 'test'], timeout: '5m' },
      { name: 'package', command: ['make', 'dist'] },
    ],
  },
});
const pod = (o: Partial<PodOptions> = {}): Pod => makePod(run, { created: 0, nodeName: 'node-1', ...o });
const ready = { db: running(1), 'furrow-checkout': terminated(0, 1, 3) };

test('containerStatuses: init containers and containers, by name', () => {
  const names = [...containerStatuses(pod()).keys()];
  assert.deepEqual(names, ['db', 'furrow-checkout', 'build', 'lint', 'test', 'package']);
  assert.equal(containerStatuses(makePod(run, { created: 0 })).size, 0, 'not on a node yet: none');
});

test('isTerminal, hasStarted, createdAt, finishedAt, lastContainerChange', () => {
  const cases: {
    name: string;
    pod: Pod;
    terminal: boolean;
    started: boolean;
    finished: number | undefined;
    /** lastContainerChange, when it isn't `finished`. */
    changed?: number;
  }[] = [
    {
      name: 'unscheduled',
      pod: makePod(run, { created: 0 }),
      terminal: false,
      started: false,
      finished: undefined,
    },
    { name: 'containers being created', pod: pod(), terminal: false, started: false, finished: undefined },
    {
      name: 'a sidecar runs: started',
      pod: pod({ states: { db: running(1) } }),
      terminal: false,
      started: true,
      finished: undefined,
      changed: at(1),
    },
    {
      name: 'a sidecar started after the checkout ended: the last change is its start',
      pod: pod({ states: { db: running(9), 'furrow-checkout': terminated(0, 1, 3) } }),
      terminal: false,
      started: true,
      finished: at(3),
      changed: at(9),
    },
    {
      name: 'a step runs',
      pod: pod({ states: { ...ready, build: running(4) } }),
      terminal: false,
      started: true,
      finished: at(3),
      changed: at(4),
    },
    {
      name: 'a step ended, the next one waits for its image',
      pod: pod({ states: { ...ready, build: terminated(0, 4, 8), lint: waiting('ErrImagePull') } }),
      terminal: false,
      started: true,
      finished: at(8),
      changed: at(8),
    },
    {
      name: 'succeeded: the last container to finish',
      pod: pod({
        phase: 'Succeeded',
        states: {
          db: terminated(143, 1, 31),
          'furrow-checkout': terminated(0, 1, 3),
          build: terminated(0, 3, 10),
          lint: terminated(0, 10, 12),
          test: terminated(0, 12, 20),
          package: terminated(0, 20, 30),
        },
      }),
      terminal: true,
      started: true,
      finished: at(31),
    },
    { name: 'failed', pod: pod({ phase: 'Failed' }), terminal: true, started: false, finished: undefined },
  ];
  for (const c of cases) {
    assert.equal(isTerminal(c.pod), c.terminal, c.name);
    assert.equal(hasStarted(c.pod), c.started, c.name);
    assert.equal(finishedAt(c.pod), c.finished, c.name);
    assert.equal(lastContainerChange(c.pod), 'changed' in c ? c.changed : c.finished, c.name);
    assert.equal(createdAt(c.pod), at(0), c.name);
  }
});

test('stuckReason: image pulls that fail and pods no node takes', () => {
  const cases: { name: string; pod: Pod; want: Failure | undefined }[] = [
    { name: 'waiting for the scheduler', pod: makePod(run, { created: 0 }), want: undefined },
    {
      name: 'creating containers',
      pod: pod({ states: { db: waiting('ContainerCreating') } }),
      want: undefined,
    },
    {
      name: 'unschedulable: no node matches',
      pod: makePod(run, {
        created: 0,
        conditions: [
          unschedulable("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."),
        ],
      }),
      want: {
        kind: 'job',
        reason: 'Unschedulable',
        message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
      },
    },
    {
      name: 'unschedulable for want of room only: not stuck, it waits',
      pod: makePod(run, {
        created: 0,
        conditions: [unschedulable('0/2 nodes are available: 2 Insufficient cpu.')],
      }),
      want: undefined,
    },
    {
      name: 'room on the pool’s nodes, selector and taints on the others: waits',
      pod: makePod(run, {
        created: 0,
        conditions: [
          unschedulable(
            "0/6 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient memory, 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
          ),
        ],
      }),
      want: undefined,
    },
    {
      name: 'kube-scheduler 1.36’s own words, with its claims and preemption tail: waits',
      pod: makePod(run, {
        created: 0,
        conditions: [
          unschedulable(
            "0/6 nodes are available: 2 Insufficient cpu, 4 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
          ),
        ],
      }),
      want: undefined,
    },
    {
      name: 'an extended resource with a dot in its name: waits',
      pod: makePod(run, {
        created: 0,
        conditions: [unschedulable('0/2 nodes are available: 2 Insufficient nvidia.com/gpu.')],
      }),
      want: undefined,
    },
    {
      name: 'room and a volume conflict: stuck (waiting won’t fix the volume)',
      pod: makePod(run, {
        created: 0,
        conditions: [
          unschedulable(
            '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict.',
          ),
        ],
      }),
      want: {
        kind: 'job',
        reason: 'Unschedulable',
        message: '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict.',
      },
    },
    {
      name: 'PodScheduled=False for another reason (scheduling gated) is not stuck',
      pod: makePod(run, {
        created: 0,
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
      }),
      want: undefined,
    },
    ...['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'].map((reason) => ({
      name: reason,
      pod: pod({ states: { db: waiting(reason, 'pull access denied') } }),
      want: {
        kind: 'job' as const,
        reason: 'ImagePullFailed',
        message: "container db can't pull image postgres:17: pull access denied",
      },
    })),
    {
      name: 'a later step’s image',
      pod: pod({ states: { ...ready, build: waiting('ImagePullBackOff') } }),
      want: {
        kind: 'job',
        reason: 'ImagePullFailed',
        message: "container build can't pull image alpine:3.22: ImagePullBackOff",
      },
    },
  ];
  for (const c of cases) assert.deepEqual(stuckReason(c.pod), c.want, c.name);
});

test('stuckReason: the kubelet’s CreateContainerConfigError, read with the run', () => {
  const rootMessage = (c: string) =>
    `container has runAsNonRoot and image will run as root (pod: "app-1_ci(uid-app-1)", container: ${c})`;
  const cases: { name: string; states: PodOptions['states']; want: Failure }[] = [
    {
      name: 'a missing Secret, in a step: ConfigMissing, 30 s to appear',
      states: { ...ready, build: waiting('CreateContainerConfigError', 'secret "db-password" not found') },
      want: {
        kind: 'job',
        reason: 'ConfigMissing',
        message: 'step build: secret "db-password" not found',
        graceMs: configMissingGraceMs,
      },
    },
    {
      name: 'a missing ConfigMap, in a service',
      states: { db: waiting('CreateContainerConfigError', 'configmap "db-settings" not found') },
      want: {
        kind: 'job',
        reason: 'ConfigMissing',
        message: 'service db: configmap "db-settings" not found',
        graceMs: configMissingGraceMs,
      },
    },
    ...['Secret', 'ConfigMap'].map((kind) => ({
      name: `a missing key in a ${kind}`,
      states: {
        ...ready,
        build: waiting('CreateContainerConfigError', `couldn't find key password in ${kind} ci/db`),
      },
      want: {
        kind: 'job' as const,
        reason: 'ConfigMissing',
        message: `step build: couldn't find key password in ${kind} ci/db`,
        graceMs: configMissingGraceMs,
      },
    })),
    {
      name: 'runAsNonRoot and a step image that runs as root: RunsAsRoot at once, with the fix',
      states: { ...ready, build: waiting('CreateContainerConfigError', rootMessage('build')) },
      want: {
        kind: 'job',
        reason: 'RunsAsRoot',
        message:
          'step build: image alpine:3.22 runs as root, and the pool sets runner.runAsNonRoot: give the image a numeric USER other than 0, or use a pool without runAsNonRoot',
        graceMs: 0,
      },
    },
    {
      name: 'runAsNonRoot and the git image: the fix is the operator’s --git-image',
      states: {
        db: running(1),
        'furrow-checkout': waiting('CreateContainerConfigError', rootMessage('furrow-checkout')),
      },
      want: {
        kind: 'job',
        reason: 'RunsAsRoot',
        message:
          'the checkout (container furrow-checkout): image docker.io/alpine/git:2.49.1 runs as root, and the pool sets runner.runAsNonRoot: run the operator with a --git-image whose USER is a numeric uid other than 0',
        graceMs: 0,
      },
    },
    {
      name: 'runAsNonRoot and a user name the kubelet can’t check',
      states: {
        db: waiting(
          'CreateContainerConfigError',
          'container has runAsNonRoot and image has non-numeric user (postgres), cannot verify user is non-root (pod: "app-1_ci(uid-app-1)", container: db)',
        ),
      },
      want: {
        kind: 'job',
        reason: 'RunsAsRoot',
        message:
          "service db: image postgres:17 has a user the kubelet can't check is not root (container has runAsNonRoot and image has non-numeric user (postgres), cannot verify user is non-root), and the pool sets runner.runAsNonRoot: give the image a numeric USER other than 0, or use a pool without runAsNonRoot",
        graceMs: 0,
      },
    },
    {
      name: 'any other config error waits the pending timeout',
      states: {
        db: waiting(
          'CreateContainerConfigError',
          'failed to sync secret cache: timed out waiting for the condition',
        ),
      },
      want: {
        kind: 'job',
        reason: 'ContainerConfigError',
        message: 'service db: failed to sync secret cache: timed out waiting for the condition',
      },
    },
  ];
  for (const c of cases) assert.deepEqual(stuckReason(pod({ states: c.states }), run), c.want, c.name);
  // Without the run, a container is named as the pod names it.
  assert.equal(
    stuckReason(pod({ states: { db: waiting('CreateContainerConfigError', 'secret "x" not found') } }))
      ?.message,
    'container db: secret "x" not found',
  );
});

test('failureOf: the infrastructure’s failures don’t count, the job’s do', () => {
  const failed = (o: Partial<PodOptions>) => pod({ phase: 'Failed', ...o });
  const cases: { name: string; pod: Pod; want: Failure }[] = [
    {
      name: 'DisruptionTarget wins over a failing step',
      pod: failed({
        conditions: [
          disruptionTarget('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint'),
        ],
        states: { ...ready, build: terminated(137, 3, 9) },
      }),
      want: {
        kind: 'infrastructure',
        reason: 'DeletionByTaintManager',
        message: 'pod app-1 was disrupted: Taint manager: deleting due to NoExecute taint',
      },
    },
    ...[
      'Evicted',
      'NodeLost',
      'NodeShutdown',
      'Terminated',
      'UnexpectedAdmissionError',
      'NodeAffinity',
      'OutOfcpu',
    ].map((reason) => ({
      name: `pod reason ${reason}`,
      pod: failed({ reason, message: `because ${reason}` }),
      want: {
        kind: 'infrastructure' as const,
        reason,
        message: `pod app-1 failed on its node: because ${reason}`,
      },
    })),
    {
      name: 'DeadlineExceeded: the job ran too long',
      pod: failed({ reason: 'DeadlineExceeded', states: { ...ready, build: terminated(137, 3, 9) } }),
      want: { kind: 'job', reason: 'TimedOut', message: 'the pod reached its activeDeadlineSeconds' },
    },
    {
      name: 'the checkout failed',
      pod: failed({ states: { db: running(1), 'furrow-checkout': terminated(128, 1, 3) } }),
      want: {
        kind: 'job',
        reason: 'CheckoutFailed',
        message: 'checking out the source failed (exit code 128)',
      },
    },
    {
      name: 'the checkout failed and said why (its termination message: a missing credential key, git’s error)',
      pod: failed({
        states: {
          'furrow-checkout': terminated(2, 1, 3, {
            message: 'Secret deploy-key has no key known_hosts (or the Secret is missing): …\n',
          }),
        },
      }),
      want: {
        kind: 'job',
        reason: 'CheckoutFailed',
        message:
          'checking out the source failed (exit code 2): Secret deploy-key has no key known_hosts (or the Secret is missing): …',
      },
    },
    {
      name: 'a step failed',
      pod: failed({ states: { ...ready, build: terminated(2, 3, 9) } }),
      want: { kind: 'job', reason: 'StepFailed', message: 'step build exited with code 2' },
    },
    {
      name: 'a step failed for memory',
      pod: failed({ states: { ...ready, build: terminated(137, 3, 9, { reason: 'OOMKilled' }) } }),
      want: { kind: 'job', reason: 'StepFailed', message: 'step build exited with code 137 (out of memory)' },
    },
    {
      name: 'a step that may fail did; the next one failed the pod',
      pod: failed({
        states: {
          ...ready,
          build: terminated(0, 3, 4),
          lint: terminated(0, 4, 5, { message: wrapperReport(1) }),
          test: terminated(1, 5, 9, { message: wrapperReport(1) }),
        },
      }),
      want: { kind: 'job', reason: 'StepFailed', message: 'step test exited with code 1' },
    },
    {
      name: 'a wrapped step timed out',
      pod: failed({
        states: {
          ...ready,
          build: terminated(0, 3, 4),
          lint: terminated(0, 4, 5),
          test: terminated(124, 5, 305, { message: wrapperReport(124, true) }),
        },
      }),
      want: { kind: 'job', reason: 'StepTimedOut', message: 'step test ran longer than its timeout (5m)' },
    },
    {
      name: 'failed with no failing container and no reason: the infrastructure’s',
      pod: failed({ states: { ...ready, build: terminated(0, 3, 4) } }),
      want: {
        kind: 'infrastructure',
        reason: 'PodFailed',
        message: 'pod app-1 failed without a failing step: no reason given',
      },
    },
  ];
  for (const c of cases) assert.deepEqual(failureOf(run, c.pod), c.want, c.name);
});
