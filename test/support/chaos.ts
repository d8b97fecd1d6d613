// What the chaos tests share: a seeded random source (the seed is printed, FURROW_CHAOS_SEED
// replays it), their scale (short in CI, FURROW_CHAOS_RUNS for `make chaos`), a workload of
// runs whose right ending follows from their spec, and the check of how each run ended.
import type { TestContext } from 'node:test';
import { group, version } from '../../src/resources/names.ts';
import type { PipelineRun, PipelineRunPhase, PipelineRunSpec } from '../../src/resources/types.ts';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { furrowEnv, removePool, type FurrowEnv } from './env.ts';
import { testImage } from './images.ts';
import { custom, statusCode, waitFor } from './kube.ts';
import { nodePoolNames } from '../../src/resources/names.ts';
import type { NodePool } from '../../src/resources/types.ts';
import { recordNodes, selects, type LabelSelector, type NodeRecorder } from './node-watch.ts';
import { createKwokNode } from './nodes.ts';
import { unhandledErrors, type OperatorProcess } from './operator.ts';
import { e2eLogDir } from './paths.ts';
import { recordPods, type PodRecorder } from './pod-watch.ts';
import { recordRuns, type RunRecorder } from './run-watch.ts';

/** mulberry32: small, fast, good enough to pick moments and mutations reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this test run: FURROW_CHAOS_SEED, or a fresh one; printed so a failure replays. */
export function chaosSeed(t: TestContext): number {
  const given = process.env.FURROW_CHAOS_SEED;
  const seed = given !== undefined ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  t.diagnostic(`seed ${seed} (replay with FURROW_CHAOS_SEED=${seed})`);
  return seed;
}

/** A count scaled by an environment variable (`make chaos` sets it: see the Makefile). */
export function chaosScale(variable: string, ciDefault: number): number {
  const raw = process.env[variable];
  const n = raw !== undefined ? Number(raw) : ciDefault;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${variable} must be a positive whole number`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Between `min` and `max`, uniformly. */
export function between(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

export type RunKind = 'succeeds' | 'fails' | 'retries' | 'continues' | 'times-out';

export interface PlannedRun {
  name: string;
  kind: RunKind;
  pool: string;
  spec: Omit<PipelineRunSpec, 'pool'>;
  annotations: Record<string, string>;
  /** How it must end, decided from the spec alone. */
  expect: { phase: PipelineRunPhase; reason: string; attempts: number };
}

const kinds: [RunKind, number][] = [
  ['succeeds', 0.5],
  ['fails', 0.15],
  ['retries', 0.15],
  ['continues', 0.1],
  ['times-out', 0.1],
];

/**
 * `count` runs of every kind, spread over `pools`: each succeeds, fails a step (exit code 3),
 * fails twice through a retry, fails a step with onError: continue and succeeds, or outlives
 * its timeout. Steps take 200 ms to `maxDuration` ms in the simulation.
 */
export function planRuns(
  random: () => number,
  count: number,
  pools: string[],
  maxDurationMs = 1500,
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (let i = 0; i < count; i++) {
    let roll = random();
    const kind = kinds.find(([, weight]) => (roll -= weight) < 0)?.[0] ?? 'succeeds';
    const duration = `${Math.round(between(random, 200, maxDurationMs))}ms`;
    const pool = pools[i % pools.length] ?? '';
    const name = `r${i}`;
    const step = { name: 'build', script: 'make' };
    const failing = { 'sim.furrow.dev/exit-code': '3' };
    const base = { name, kind, pool };
    switch (kind) {
      case 'succeeds':
        runs.push({
          ...base,
          spec: { image: testImage, steps: [step] },
          annotations: { 'sim.furrow.dev/duration': duration },
          expect: { phase: 'Succeeded', reason: 'Succeeded', attempts: 1 },
        });
        break;
      case 'fails':
        runs.push({
          ...base,
          spec: { image: testImage, steps: [{ ...step, script: 'exit 3' }] },
          annotations: { 'sim.furrow.dev/duration': duration, ...failing },
          expect: { phase: 'Failed', reason: 'StepFailed', attempts: 1 },
        });
        break;
      case 'retries':
        runs.push({
          ...base,
          spec: {
            image: testImage,
            retries: { limit: 1, backoff: '1s' },
            steps: [{ ...step, script: 'exit 3' }],
          },
          annotations: { 'sim.furrow.dev/duration': duration, ...failing },
          expect: { phase: 'Failed', reason: 'StepFailed', attempts: 2 },
        });
        break;
      case 'continues':
        runs.push({
          ...base,
          spec: {
            image: testImage,
            steps: [{ name: 'lint', script: 'exit 3', onError: 'continue' }, step],
          },
          annotations: {
            'sim.furrow.dev/duration': duration,
            'sim.furrow.dev/fail-container': 'lint',
            ...failing,
          },
          expect: { phase: 'Succeeded', reason: 'Succeeded', attempts: 1 },
        });
        break;
      case 'times-out':
        runs.push({
          ...base,
          spec: { image: testImage, timeout: '3s', steps: [{ ...step, script: 'sleep 600' }] },
          annotations: { 'sim.furrow.dev/duration': '600s' },
          expect: { phase: 'TimedOut', reason: 'TimedOut', attempts: 1 },
        });
        break;
    }
  }
  return runs;
}

/** Creates the run, retrying for up to a minute while the API server is away. */
export async function createPlanned(env: FurrowEnv, run: PlannedRun): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await env.createRun(run.name, { ...run.spec, pool: run.pool }, { annotations: run.annotations });
      return;
    } catch (err) {
      // Created, but the answer was lost: fine.
      if (statusCode(err) === 409) return;
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

/** Lists the namespace's runs (one request, not one per run). */
export async function listRuns(namespace: string): Promise<PipelineRun[]> {
  const list = (await custom().listNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'pipelineruns',
  })) as { items: PipelineRun[] };
  return list.items;
}

const isFinal = (run: PipelineRun | undefined) =>
  ['Succeeded', 'Failed', 'Cancelled', 'TimedOut'].includes(run?.status?.phase ?? '');

/** Waits until every planned run has a final phase; returns them by name (the last list). */
export async function waitAllFinal(
  namespace: string,
  planned: PlannedRun[],
  timeoutMs: number,
): Promise<Map<string, PipelineRun>> {
  let last = new Map<string, PipelineRun>();
  try {
    await waitFor(
      `${planned.length} runs to finish`,
      async () => {
        last = new Map((await listRuns(namespace)).map((r) => [r.metadata.name ?? '', r]));
        return planned.every((p) => isFinal(last.get(p.name)));
      },
      { timeoutMs, intervalMs: 1000 },
    );
  } catch {
    // The verdict below names the runs that didn't finish.
  }
  return last;
}

export interface Verdict {
  /** One line per run that ended wrong, or not at all: the runs lost. */
  lost: string[];
  /** Pod names held by two pods (two pods for one attempt). */
  duplicatePods: string[];
  /**
   * Pods bound to a node outside their run's pool: not one of the pool's nodes, or, at the
   * moment the pod was seen bound, a node that didn't exist or whose labels didn't meet the
   * pool's selector.
   */
  misplaced: string[];
  /** Runs whose status left a final phase or finished twice. */
  refinished: string[];
  pods: number;
}

/**
 * How each planned run ended against what its spec says, with the history the watches kept:
 * the right phase and reason, exactly its attempts' pods (one per attempt, named
 * <run>-<attempt>), each on a node of its pool, finished once.
 */
export function verdict(
  planned: PlannedRun[],
  runs: Map<string, PipelineRun>,
  pods: PodRecorder,
  history: RunRecorder,
  poolNodes: Map<string, string[]>,
  namespace: string,
  membership?: { nodes: NodeRecorder; selectors: Map<string, LabelSelector> },
): Verdict {
  const lost: string[] = [];
  const misplaced: string[] = [];
  const placements = pods.placements();
  const created = pods.createdPods().filter((k) => k.startsWith(`${namespace}/`));
  const podsOf = new Map<string, string[]>();
  for (const key of created) {
    const name = key.slice(namespace.length + 1);
    const run = name.slice(0, name.lastIndexOf('-'));
    podsOf.set(run, [...(podsOf.get(run) ?? []), name]);
  }
  for (const p of planned) {
    const run = runs.get(p.name);
    const s = run?.status;
    const expectedPods = Array.from({ length: p.expect.attempts }, (_, i) => `${p.name}-${i + 1}`);
    const actualPods = (podsOf.get(p.name) ?? []).sort();
    const problems: string[] = [];
    if (s?.phase !== p.expect.phase || s.reason !== p.expect.reason)
      problems.push(`ended ${s?.phase}/${s?.reason}, expected ${p.expect.phase}/${p.expect.reason}`);
    if (s?.attempt !== p.expect.attempts || s.attempts?.length !== p.expect.attempts)
      problems.push(
        `attempt ${s?.attempt} with ${s?.attempts?.length} records, expected ${p.expect.attempts}`,
      );
    const infra = s?.attempts?.filter((a) => a.countsAgainstLimit === false) ?? [];
    if (infra.length > 0) problems.push(`infrastructure failures: ${infra.map((a) => a.reason).join(', ')}`);
    if (JSON.stringify(actualPods) !== JSON.stringify(expectedPods.sort()))
      problems.push(`pods ${actualPods.join(' ')}, expected ${expectedPods.join(' ')}`);
    if (problems.length > 0) lost.push(`${p.name} (${p.kind}): ${problems.join('; ')}`);
    const allowed = poolNodes.get(p.pool) ?? [];
    for (const pod of actualPods) {
      const node = placements.get(`${namespace}/${pod}`);
      if (node !== undefined && !allowed.includes(node))
        misplaced.push(`${pod} on ${node}, pool ${p.pool} has ${allowed.join(', ')}`);
      if (!membership) continue;
      // Every node the pod was ever seen on, checked as the node was at that moment.
      const selector = membership.selectors.get(p.pool);
      for (const e of pods.events) {
        if (e.namespace !== namespace || e.name !== pod || !e.nodeName) continue;
        const then = membership.nodes.at(e.nodeName, e.at);
        if (!then) misplaced.push(`${pod} on ${e.nodeName}, a node that did not exist then`);
        else if (!selector || !selects(selector, then.labels))
          misplaced.push(`${pod} on ${e.nodeName}, not a member of pool ${p.pool} then`);
      }
    }
  }
  return {
    lost,
    duplicatePods: pods.reusedNames(),
    misplaced,
    refinished: history.finishedMoreThanOnce(),
    pods: created.length,
  };
}

/** A second pool with `nodes` kwok nodes of its own, removed after the test. */
export async function extraPool(t: TestContext, env: FurrowEnv, nodes: number): Promise<[string, string[]]> {
  const name = `${env.poolName}-b`;
  const label = { 'e2e.furrow.dev/env': `${env.id}-b` };
  const names: string[] = [];
  t.after(() => removePool(name));
  for (let i = 0; i < nodes; i++) {
    const node = `e2e-${env.id}-b${i}`;
    await createKwokNode(t, node, { labels: { ...label, 'furrow.dev/class': 'peasant' } });
    names.push(node);
  }
  await env.createPool({ nodeSelector: { matchLabels: label } }, name);
  return [name, names];
}

export interface Flow {
  env: FurrowEnv;
  planned: PlannedRun[];
  pods: PodRecorder;
  history: RunRecorder;
  poolNodes: Map<string, string[]>;
  nodes: NodeRecorder;
  /** Resolves when every run has been created. */
  created: Promise<void>;
}

/** Lets runs be created in batches: `wait(i)` resolves once `allow` has let more than i through. */
export class Gate {
  private allowed = 0;
  private waiters: (() => void)[] = [];
  allow(n: number): void {
    this.allowed += n;
    for (const wake of this.waiters.splice(0)) wake();
  }
  async wait(i: number): Promise<void> {
    while (i >= this.allowed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/**
 * An environment with two pools of two nodes each, and `count` runs created over time (each
 * only once `gate`, if given, lets it through).
 */
export async function startFlow(t: TestContext, seed: number, count: number, gate?: Gate): Promise<Flow> {
  const env = await furrowEnv(t, { nodes: 2, pool: { maxConcurrentRuns: 12 }, operator: false });
  const [poolB, nodesB] = await extraPool(t, env, 2);
  const nodes = await recordNodes(t);
  const pods = await recordPods(t, [env.namespace]);
  const history = await recordRuns(t, [env.namespace]);
  const planned = planRuns(seededRandom(seed), count, [env.poolName, poolB]);
  const pace = seededRandom(seed + 1);
  const created = (async () => {
    for (const [i, run] of planned.entries()) {
      await gate?.wait(i);
      await createPlanned(env, run);
      await sleep(between(pace, 20, 250));
    }
  })();
  const poolNodes = new Map([
    [env.poolName, env.nodeNames],
    [poolB, nodesB],
  ]);
  return { env, planned, pods, history, poolNodes, nodes, created };
}

/** Waits for the runs, judges them, prints and keeps the counts; fails on any loss. */
export async function judge(
  t: TestContext,
  flow: Flow,
  operators: OperatorProcess[],
  faults: string,
  startedAt: number,
): Promise<void> {
  const { env, planned, pods, history, poolNodes, nodes } = flow;
  const runs = await waitAllFinal(env.namespace, planned, 120_000 + planned.length * 1000);
  const selectors = new Map<string, LabelSelector>();
  for (const pool of poolNodes.keys()) {
    const object = (await custom().getClusterCustomObject({
      group,
      version,
      plural: nodePoolNames.plural,
      name: pool,
    })) as NodePool;
    selectors.set(pool, object.spec.nodeSelector);
  }
  const v = verdict(planned, runs, pods, history, poolNodes, env.namespace, { nodes, selectors });
  const unhandled = operators.flatMap((op) => unhandledErrors(op.logs));
  // Only the test kills operators: one that exited by itself crashed.
  const died = operators.filter((op) => op.diedOnItsOwn()).map((op) => op.pid);
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  const summary = {
    test: t.name,
    faults,
    runs: planned.length,
    lost: v.lost.length,
    pods: v.pods,
    duplicatePods: v.duplicatePods.length,
    misplacedPods: v.misplaced.length,
    refinished: v.refinished.length,
    operatorProcesses: operators.length,
    unhandled: unhandled.length,
    diedOnTheirOwn: died.length,
    watchRecoveries: pods.watchRecoveries(),
    seconds,
  };
  t.diagnostic(JSON.stringify(summary));
  const dir = e2eLogDir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `chaos-${env.id}.json`), JSON.stringify({ ...summary, ...v }, null, 2));
  assert.deepEqual(v.lost, [], 'runs lost: ended wrong or not at all');
  assert.deepEqual(v.duplicatePods, [], 'two pods for one attempt');
  assert.deepEqual(v.misplaced, [], 'runner pods outside their pool');
  assert.deepEqual(v.refinished, [], 'runs that finished more than once');
  assert.deepEqual(unhandled, [], 'unhandled errors in the operators’ logs');
  assert.deepEqual(died, [], 'operator processes (pids) that exited without being killed');
}
