// planRun, scenario by scenario: infrastructure failures: a new attempt at once, not counted against retries.limit.
import { at, disruptionTarget, iso, running, terminated } from '../../../../support/builders.ts';
import {
  after,
  built,
  evicted,
  fresh,
  node,
  pod,
  runningRun,
  scenarioTests,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
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
];

scenarioTests(scenarios);
