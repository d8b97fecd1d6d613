// planRun, scenario by scenario: what the scenario tables under this folder share. A run (spec
// and status as last written), its pool, its pods as the API server reports them, the pool's
// admission verdict and the clock → the status the run should have, and what the controller
// must do. Statuses a scenario starts from are the ones earlier scenarios produced, as the
// controller would have written them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../../src/kube/json.ts';
import type { Admission } from '../../../../../src/resources/api.ts';
import {
  planRun,
  type PlanConfig,
  type RunAction,
  type RunInput,
  type RunPlan,
} from '../../../../../src/resources/pipelinerun/plan.ts';
import type {
  NodePool,
  PipelineRun,
  PipelineRunPhase,
  PipelineRunStatus,
} from '../../../../../src/resources/types.ts';
import {
  assertSubset,
  at,
  makePod,
  makePool,
  makeRun,
  planConfig as config,
  running,
  terminated,
  withStatus,
  type PodOptions,
} from '../../../../support/builders.ts';

export const admitted: Admission = { state: 'admitted' };
export const pool = makePool();

export interface Input {
  run: PipelineRun;
  now: number;
  /** null: the pool doesn't exist. */
  pool?: NodePool | null;
  pods?: Pod[];
  admission?: Admission;
  config?: Partial<PlanConfig>;
  invalidSpec?: string;
}

export function plan(i: Input): RunPlan {
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
export function after(i: Input): PipelineRun {
  return withStatus(i.run, plan(i).status);
}

export function describe(action: RunAction): string {
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

export const node = 'node-1';
export const fresh = makeRun({ created: 0 });

/** The runner pod of `run` (attempt 1 unless said), created at 10 on node-1. */
export function pod(run: PipelineRun, o: Partial<PodOptions> = {}): Pod {
  return makePod(run, { created: 10, nodeName: node, ...o });
}

export const checkedOut = { 'furrow-checkout': terminated(0, 12, 15) };
export const built = { ...checkedOut, build: terminated(0, 15, 40) };
export const testing = (run: PipelineRun) => pod(run, { states: { ...built, test: running(40) } });
export const testFailed = (run: PipelineRun, o: Partial<PodOptions> = {}) =>
  pod(run, { phase: 'Failed', states: { ...built, test: terminated(3, 40, 70) }, ...o });
export const allDone = (run: PipelineRun) =>
  pod(run, {
    phase: 'Succeeded',
    states: { ...built, test: terminated(0, 40, 100), package: terminated(0, 100, 120) },
  });

export const queuedStatus = plan({
  run: fresh,
  now: at(0),
  admission: { state: 'queued', reason: 'PoolAtCapacity', message: 'NodePool peasant is full', position: 4 },
}).status;
export const queued = withStatus(fresh, queuedStatus);
/** What the happy path writes first: Running (the Pending write was deferred and not needed). */
export const runningRun = after({ run: fresh, pods: [testing(fresh)], now: at(50) });

export const withRetries = makeRun({ spec: { retries: { limit: 1 } } });
export const withRetriesRunning = after({ run: withRetries, pods: [testing(withRetries)], now: at(50) });
/** Attempt 1 failed at 70; the status says Retrying. */
export const retrying = after({ run: withRetriesRunning, pods: [testFailed(withRetries)], now: at(72) });
/** Attempt 2's pod created at 82, after the 10 s backoff. */
export const secondAttempt = after({ run: retrying, pods: [testFailed(withRetries)], now: at(82) });
export const pod2 = (o: Partial<PodOptions> = {}) => pod(withRetries, { attempt: 2, created: 82, ...o });
export const pod2Failed = pod2({
  phase: 'Failed',
  states: {
    'furrow-checkout': terminated(0, 84, 85),
    build: terminated(0, 85, 100),
    test: terminated(3, 100, 140),
  },
});

export const continueRun = makeRun({
  spec: {
    steps: [
      { name: 'build', command: ['make'] },
      { name: 'test', command: ['make', 'test'], onError: 'continue' },
      { name: 'package', script: 'tar czf dist.tgz dist/\n' },
    ],
  },
});
export const timeoutRun = makeRun({
  spec: {
    steps: [
      { name: 'build', command: ['make'] },
      { name: 'test', command: ['make', 'test'], timeout: '1m' },
      { name: 'package', script: 'tar czf dist.tgz dist/\n' },
    ],
  },
});
export const timeoutRunning = after({ run: timeoutRun, pods: [testing(timeoutRun)], now: at(50) });
export const shortRun = makeRun({ spec: { timeout: '10m' } });
export const shortRunning = after({ run: shortRun, pods: [testing(shortRun)], now: at(50) });
export const succeeded = after({ run: runningRun, pods: [allDone(fresh)], now: at(125) });

export const evicted = (run: PipelineRun, attempt = 1, created = 10) =>
  pod(run, {
    attempt,
    created,
    phase: 'Failed',
    reason: 'Evicted',
    message: 'The node was low on resource: memory.',
    states: { ...built, test: terminated(137, 40, 60) },
  });

export interface Expect {
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

export interface Scenario {
  name: string;
  input: Input;
  expect: Expect;
}

export const waitingSteps = [
  { name: 'build', state: 'waiting', reason: undefined },
  { name: 'test', state: 'waiting' },
  { name: 'package', state: 'waiting' },
];

/** Registers a test per scenario, and one that the same input gives the same plan. */
export function scenarioTests(scenarios: Scenario[]): void {
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

  test('plan: the same input gives the same plan (a restarted operator decides the same)', () => {
    for (const s of scenarios) assert.deepEqual(plan(structuredClone(s.input)), plan(s.input), s.name);
  });
}
