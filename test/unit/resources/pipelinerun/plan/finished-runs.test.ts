// planRun, scenario by scenario: runs already finished, and invalid specs.
import { at, makePool, withSpec } from '../../../../support/builders.ts';
import {
  after,
  allDone,
  fresh,
  runningRun,
  scenarioTests,
  succeeded,
  testing,
  type Scenario,
} from './scenarios.ts';

const scenarios: Scenario[] = [
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

scenarioTests(scenarios);
