// planRun, scenario by scenario: a running pod: Running, the current step, step timeouts.
import { at, iso, running, terminated, withSpec } from '../../../../support/builders.ts';
import { built, fresh, node, pod, runningRun, scenarioTests, testing, type Scenario } from './scenarios.ts';

const scenarios: Scenario[] = [
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
];

scenarioTests(scenarios);
