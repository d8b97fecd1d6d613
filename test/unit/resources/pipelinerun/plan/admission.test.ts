// planRun, scenario by scenario: the run before its pod: admission, queueing, refusal.
import { computeQueue } from '../../../../../src/resources/nodepool/queue.ts';
import { at, iso } from '../../../../support/builders.ts';
import { admitted, fresh, queued, scenarioTests, waitingSteps, type Scenario } from './scenarios.ts';

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
];

scenarioTests(scenarios);
