// Fuzz: seeded mutations of the valid examples (wrong types, missing fields, huge values,
// unicode, deep nesting, 1 MB scripts, duplicates, unknown fields) sent to the real API server
// with the operator running. Each input is refused with a message, or accepted and then
// handled: the operator gives it a clear status (a final phase, Queued, Pending while it
// waits for a retry, or Running while its pod runs), never crashes and logs no unhandled
// error. Enough of the mutated inputs must be accepted, and control inputs (examples
// unmutated, or made to fail) must end exactly as their spec implies. The seed is printed;
// FURROW_CHAOS_SEED replays it, FURROW_FUZZ_INPUTS sets how many inputs (500 in CI; `make
// chaos` sets its own).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { group, nodePoolNames, pipelineRunNames, version } from '../../src/resources/names.ts';
import type { NodePool, PipelineRun } from '../../src/resources/types.ts';
import { chaosScale, chaosSeed, listRuns, seededRandom } from '../support/chaos.ts';
import { furrowEnv, removePool } from '../support/env.ts';
import { examples } from '../support/fixtures.ts';
import { mutate, mutateText, type Json } from '../support/fuzz.ts';
import { core, custom, rawRequest, waitFor } from '../support/kube.ts';
import { unhandledErrors } from '../support/operator.ts';
import { e2eLogDir } from '../support/paths.ts';
import { recordRuns } from '../support/run-watch.ts';

interface Outcome {
  i: number;
  kind: string;
  what: string[];
  /** The HTTP status of a refusal, or 201. */
  code: number | undefined;
  message?: string;
  name?: string;
  settled?: string;
  /** A control input's implied outcome (`phase/reason`, or `Ready=status/reason` for a pool). */
  expect?: string;
  /** What a control ended as: its final phase/reason (even once deleted), or its pool's Ready. */
  ended?: string;
}

/**
 * Controls: every 20th input is an example unmutated, and every 20th plus 10 the same with its
 * steps made to exit 3 (the simulation's annotation). Each must end as its spec implies, so an
 * operator that queued or failed every run fails the test. The test's pool allows only priority
 * 0: go-build.yaml, which asks for 10, is refused. A fuzzed pool selects no node.
 */
const controlEvery = 20;
const implied = (file: string, failing: boolean): string => {
  if (file === 'peasant-pool.yaml') return 'Ready=False/NoNodes';
  if (file === 'go-build.yaml') return 'Failed/PriorityNotAllowed';
  return failing ? 'Failed/StepFailed' : 'Succeeded/Succeeded';
};
/**
 * At least this share of the mutated inputs must be accepted: inputs all refused test nothing
 * past validation (about 17% are accepted at 500 inputs).
 */
const minAcceptedShare = 0.1;

const finalPhases = ['Succeeded', 'Failed', 'Cancelled', 'TimedOut'];

/** `podPhase`: the phase of the pod the status names, as the API server has it, once bound to a node. */
const settledRun = (run: PipelineRun, podPhase: string | undefined): string | undefined => {
  const s = run.status;
  if (!s?.phase || !s.reason || !s.message) return undefined;
  const succeeded = s.conditions?.find((c) => c.type === 'Succeeded');
  const final = ['Succeeded', 'Failed', 'Cancelled', 'TimedOut'].includes(s.phase);
  if (final && succeeded?.status === 'Unknown') return undefined;
  if (final || s.phase === 'Queued' || (s.phase === 'Pending' && s.reason === 'Retrying'))
    return `${s.phase}/${s.reason}`;
  // An edge value may legitimately make the simulated step run for days (a duration
  // annotation of 720h): Running is a clear status when its pod really is on a node and not
  // finished (the pod's phase stays Pending while steps run as init containers).
  if (
    s.phase === 'Running' &&
    succeeded?.status === 'Unknown' &&
    (podPhase === 'Pending' || podPhase === 'Running')
  )
    return `${s.phase}/${s.reason} (pod ${podPhase})`;
  return undefined;
};

test('fuzz: mutated examples are refused with a message, or accepted and given a clear status; the operator never crashes', async (t) => {
  const seed = chaosSeed(t);
  const random = seededRandom(seed);
  const count = chaosScale('FURROW_FUZZ_INPUTS', 500);
  const startedAt = Date.now();
  // Unschedulable mutations (huge requests) fail after 5 s instead of 10 min.
  const env = await furrowEnv(t, { nodes: 2, pool: { runner: { pendingTimeout: '5s' } } });
  const operator = env.operator;
  assert.ok(operator);
  let exitCode: number | null | undefined;
  void operator.exited.then((code) => (exitCode = code));
  const history = await recordRuns(t, [env.namespace]);

  // Fuzzed pools are cluster-wide: each keeps a node selector no node matches, whatever the
  // mutations did to the rest, so no shared node is ever tainted.
  const fuzzLabel = { 'e2e.furrow.dev/fuzz': env.id };
  const bases = examples().map((e) => ({
    file: e.file,
    kind: e.manifest.kind,
    doc: e.manifest as unknown as Json,
  }));
  const pools: string[] = [];
  t.after(async () => {
    for (const name of pools) await removePool(name);
  });

  // Every input is made first, from the seed alone, so that a seed replays exactly.
  const inputs = Array.from({ length: count }, (_, i) => {
    const base = bases[Math.floor(random() * bases.length)] ?? bases[0];
    if (!base) throw new Error('no examples');
    const start = structuredClone(base.doc) as Record<string, Json> & { metadata: Record<string, Json> };
    const isPool = base.kind === nodePoolNames.kind;
    start.metadata.name = isPool ? `fz-${env.id}-${i}` : `fz-${i}`;
    const control = i % controlEvery === 0 ? 'plain' : i % controlEvery === controlEvery / 2 ? 'failing' : '';
    if (!isPool) {
      (start.spec as Record<string, Json>).pool = env.poolName;
      start.metadata.annotations = {
        'sim.furrow.dev/duration': '300ms',
        ...(control === 'failing' ? { 'sim.furrow.dev/exit-code': '3' } : {}),
      };
    }
    const { doc, what } = control
      ? {
          doc: start as Json,
          what: [
            `control: ${base.file} unmutated${control === 'failing' && !isPool ? ', its steps exit 3' : ''}`,
          ],
        }
      : mutate(random, start);
    if (isPool) confine(doc, fuzzLabel);
    const strict = random() < 0.5;
    let body = JSON.stringify(doc);
    if (!control && random() < 0.08) {
      const mangled = mutateText(random, body);
      body = mangled.text;
      what.push(mangled.what);
    }
    const collection = isPool
      ? `/apis/${group}/${version}/${nodePoolNames.plural}`
      : `/apis/${group}/${version}/namespaces/${env.namespace}/${pipelineRunNames.plural}`;
    const expect = control ? implied(base.file, control === 'failing') : undefined;
    return {
      i,
      kind: base.kind,
      what,
      expect,
      url: `${collection}${strict ? '?fieldValidation=Strict' : ''}`,
      body,
    };
  });

  const outcomes: Outcome[] = [];
  const send = async (input: (typeof inputs)[number]): Promise<void> => {
    const outcome: Outcome = {
      i: input.i,
      kind: input.kind,
      what: input.what,
      code: undefined,
      expect: input.expect,
    };
    outcomes.push(outcome);
    const res = await rawRequest('POST', input.url, input.body);
    outcome.code = res.code;
    let answer: { metadata?: { name?: string }; message?: string } = {};
    try {
      answer = JSON.parse(res.body) as typeof answer;
    } catch {
      answer = { message: res.body };
    }
    if (res.code === 201) {
      outcome.name = answer.metadata?.name;
      if (input.kind === nodePoolNames.kind && outcome.name) pools.push(outcome.name);
    } else outcome.message = (answer.message ?? res.body).slice(0, 500);
  };
  // A few requests at a time: the API server answers refusals in milliseconds.
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let input = inputs[next++]; input; input = inputs[next++]) await send(input);
    }),
  );
  outcomes.sort((a, b) => a.i - b.i);
  const dir = e2eLogDir;
  mkdirSync(dir, { recursive: true });
  const report = path.join(dir, `fuzz-${env.id}.json`);

  const refused = outcomes.filter((o) => o.code !== 201);
  const accepted = outcomes.filter((o) => o.code === 201);
  for (const o of refused) {
    assert.ok(
      o.code !== undefined && o.code >= 400 && o.code < 500,
      `input ${o.i} (${o.what.join('; ')}): HTTP ${o.code} ${o.message}`,
    );
    assert.ok(
      o.message && o.message.length > 10,
      `input ${o.i} refused without a message: ${JSON.stringify(o)}`,
    );
  }

  // Every accepted input settles: runs in a final phase, Queued, or waiting for a retry;
  // pools with a Ready condition for their generation.
  const acceptedRuns = accepted.filter((o) => o.kind === pipelineRunNames.kind);
  const acceptedPools = accepted.filter((o) => o.kind === nodePoolNames.kind);
  await waitFor(
    `${accepted.length} accepted inputs to settle`,
    async () => {
      const runs = new Map((await listRuns(env.namespace)).map((r) => [r.metadata.name ?? '', r]));
      const pods = await core().listNamespacedPod({ namespace: env.namespace });
      const podPhases = new Map(
        pods.items.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ? p.status?.phase : undefined]),
      );
      for (const o of acceptedRuns) {
        const run = runs.get(o.name ?? '');
        // Deleted already (ttlSecondsAfterFinished 0): its history shows how it ended.
        const versions = history.history.get(`${env.namespace}/${o.name ?? ''}`) ?? [];
        const final = versions.findLast((v) => v.phase && finalPhases.includes(v.phase));
        o.settled = run
          ? settledRun(run, podPhases.get(run.status?.podName ?? ''))
          : final
            ? `deleted after ${versions.at(-2)?.phase}`
            : undefined;
        // A control settles only once final: Queued on the way there is not its outcome.
        o.ended = final ? `${final.phase}/${final.reason}` : undefined;
        if (o.expect && !o.ended) o.settled = undefined;
      }
      for (const o of acceptedPools) {
        const pool = (await custom().getClusterCustomObject({
          group,
          version,
          plural: nodePoolNames.plural,
          name: o.name ?? '',
        })) as NodePool;
        const ready = pool.status?.conditions?.find((c) => c.type === 'Ready');
        o.settled =
          ready?.reason && ready.message && pool.status?.observedGeneration === pool.metadata.generation
            ? `Ready=${ready.status}/${ready.reason}`
            : undefined;
        o.ended = o.settled;
      }
      return accepted.every((o) => o.settled !== undefined);
    },
    { timeoutMs: 240_000, intervalMs: 2000 },
  ).catch(async (err: unknown) => {
    const stuck = accepted.filter((o) => o.settled === undefined);
    const runs = new Map((await listRuns(env.namespace)).map((r) => [r.metadata.name ?? '', r]));
    const detail = stuck.map((o) => ({
      ...o,
      status: runs.get(o.name ?? '')?.status,
      log: operator.logs
        .filter((l) => l.name === o.name || l.key === `${env.namespace}/${o.name ?? ''}`)
        .slice(-5),
    }));
    writeFileSync(report, JSON.stringify({ stuck: detail, outcomes }, null, 2));
    throw new Error(
      `${(err as Error).message}; unsettled (details in ${report}): ${JSON.stringify(stuck.slice(0, 10))}`,
      {
        cause: err,
      },
    );
  });
  // Settled means quiet: an operator with nothing left to do doesn't spin (a requeue delay of
  // 0, or one past what a timer holds, would reconcile the same run over and over).
  const reconciles = async () => {
    const text = await operator.metrics();
    return [...text.matchAll(/^furrow_reconcile_total\{controller="pipelinerun",[^}]*\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };
  const before = await reconciles();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const idleReconciles = (await reconciles()) - before;
  for (const name of pools.splice(0)) await removePool(name);

  const tally = (list: Outcome[], key: (o: Outcome) => string) => {
    const counts: Record<string, number> = {};
    for (const o of list) counts[key(o)] = (counts[key(o)] ?? 0) + 1;
    return counts;
  };
  const summary = {
    seed,
    inputs: outcomes.length,
    refused: refused.length,
    accepted: accepted.length,
    refusedBy: tally(refused, (o) => String(o.code)),
    mutationKinds: tally(
      outcomes.flatMap((o) => o.what.map((w) => ({ ...o, what: [w] }))),
      (o) => o.what[0]?.split(':')[0] ?? '',
    ),
    acceptedEndedAs: tally(accepted, (o) => `${o.kind} ${o.settled ?? ''}`),
    controlsEndedAs: tally(
      outcomes.filter((o) => o.expect !== undefined),
      (o) => `${o.what[0] ?? ''} → ${o.ended ?? String(o.code)}`,
    ),
    idleReconciles,
    seconds: Math.round((Date.now() - startedAt) / 1000),
  };
  t.diagnostic(JSON.stringify(summary));
  writeFileSync(report, JSON.stringify({ summary, outcomes }, null, 2));

  assert.ok(outcomes.length >= count);
  const controls = outcomes.filter((o) => o.expect !== undefined);
  assert.ok(controls.length >= Math.floor(count / controlEvery), `${controls.length} controls`);
  assert.deepEqual(
    controls
      .filter((o) => o.code !== 201 || o.ended !== o.expect)
      .map((o) => ({ ...o, message: o.message?.slice(0, 200) })),
    [],
    'control inputs that did not end as their spec implies',
  );
  const mutated = outcomes.filter((o) => o.expect === undefined);
  const share = mutated.filter((o) => o.code === 201).length / mutated.length;
  assert.ok(
    share >= minAcceptedShare,
    `only ${Math.round(share * 100)}% of the mutated inputs were accepted (at least ${minAcceptedShare * 100}% expected)`,
  );
  assert.ok(idleReconciles < 500, `${idleReconciles} reconciles in 5 s once everything had settled`);
  assert.equal(exitCode, undefined, 'the operator never exited');
  assert.equal(await operator.ready(), true);
  assert.deepEqual(unhandledErrors(operator.logs), [], 'no unhandled error in the operator’s log');
});

/** Makes a fuzzed pool's node selector match no node (matchLabels and expressions are ANDed). */
function confine(doc: Json, label: Record<string, string>): void {
  const isObject = (v: Json | undefined): v is Record<string, Json> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  const spec = isObject(doc) ? doc.spec : undefined;
  const selector = isObject(spec) ? spec.nodeSelector : undefined;
  if (!isObject(selector)) return;
  const labels = selector.matchLabels;
  if (labels === undefined || isObject(labels)) selector.matchLabels = { ...(labels ?? {}), ...label };
}
