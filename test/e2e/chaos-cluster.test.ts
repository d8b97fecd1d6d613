// Chaos inside one test's environment (the rest of the cluster is untouched): a node vanishes
// under a running pod, and another client edits running PipelineRuns as fast as it can.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { group, pipelineRunNames, version } from '../../src/resources/names.ts';
import type { PipelineRun } from '../../src/resources/types.ts';
import { chaosScale, chaosSeed, seededRandom, sleep } from '../support/chaos.ts';
import { furrowEnv, sim } from '../support/env.ts';
import { testImage } from '../support/images.ts';
import { core, custom, statusCode } from '../support/kube.ts';
import { unhandledErrors } from '../support/operator.ts';
import { recordPods } from '../support/pod-watch.ts';
import { recordRuns } from '../support/run-watch.ts';

test('a node deleted under a running pod: the attempt fails as infrastructure and the run retries on another node', async (t) => {
  const env = await furrowEnv(t, { nodes: 2 });
  const pods = await recordPods(t, [env.namespace]);
  await env.createRun(
    'orphan',
    { image: testImage, steps: [{ name: 'build', script: 'sleep 600' }] },
    {
      annotations: sim('600s'),
    },
  );
  const running = await env.waitForPhase('orphan', 'Running');
  const lost = running.status?.nodeName ?? '';
  assert.ok(env.nodeNames.includes(lost), `runs on a pool node (${lost})`);
  // The next attempt should be quick; annotations reach the pods created after the change.
  await env.patchRun('orphan', { metadata: { annotations: sim('1s') } });
  const deletedAt = Date.now();
  await core().deleteNode({ name: lost });
  // The pod garbage collector deletes pods bound to missing nodes after ~40 s.
  const run = await env.waitForPhase('orphan', 'Succeeded', { timeoutMs: 150_000, intervalMs: 1000 });
  t.diagnostic(`retried and succeeded ${Math.round((Date.now() - deletedAt) / 1000)} s after the node went`);
  const [first, second] = run.status?.attempts ?? [];
  assert.equal(run.status?.attempts?.length, 2);
  assert.equal(first?.nodeName, lost);
  assert.equal(first.phase, 'Failed');
  assert.equal(
    first.countsAgainstLimit,
    false,
    `an infrastructure failure (${first.reason}) is not the job's`,
  );
  assert.equal(second?.phase, 'Succeeded');
  assert.notEqual(second.nodeName, lost);
  assert.ok(env.nodeNames.includes(second.nodeName ?? ''), `the retry ran in the pool (${second.nodeName})`);
  assert.deepEqual(pods.order(), ['orphan-1', 'orphan-2']);
  assert.deepEqual(pods.reusedNames(), []);
});

test('another client edits running PipelineRuns (labels, annotations, spec) as fast as it can: no status update is lost, no run restarts', async (t) => {
  const seed = chaosSeed(t);
  const random = seededRandom(seed);
  const count = Math.max(4, Math.ceil(chaosScale('FURROW_CHAOS_RUNS', 40) / 10));
  // The editor sets priorities 0 to 6: the pool grants them (unset, a waiting run above 0 is refused).
  const env = await furrowEnv(t, { nodes: 2, pool: { allowedPriorities: { max: 6 } } });
  const pods = await recordPods(t, [env.namespace]);
  const history = await recordRuns(t, [env.namespace]);
  const steps = ['fetch', 'build', 'test'].map((name) => ({ name, script: `make ${name}` }));
  const names = Array.from({ length: count }, (_, i) => `edited-${i}`);
  for (const name of names)
    await env.createRun(name, { image: testImage, steps }, { annotations: sim('3s') });

  const editorsPerRun = 3;
  // The editor: merge patches of labels, annotations and spec (env, priority), and full
  // replaces from a fresh read, whose resourceVersion makes them conflict with the operator.
  let edits = 0;
  let editorConflicts = 0;
  const finished = new Set<string>();
  const editor = async (name: string) => {
    for (let i = 0; !finished.has(name) && i < 2000; i++) {
      const roll = random();
      try {
        if (roll < 0.3) {
          await env.patchRun(name, { metadata: { labels: { [`edit-${i % 3}`]: String(i) } } });
        } else if (roll < 0.45) {
          await env.patchRun(name, { metadata: { annotations: { 'example.com/edit': String(i) } } });
        } else if (roll < 0.75) {
          await env.patchRun(name, { spec: { env: [{ name: 'EDIT', value: String(i) }], priority: i % 7 } });
        } else {
          const current = await env.run(name);
          current.metadata.labels = { ...current.metadata.labels, replaced: String(i) };
          await custom().replaceNamespacedCustomObject({
            group,
            version,
            namespace: env.namespace,
            plural: pipelineRunNames.plural,
            name,
            body: current,
          });
        }
        edits++;
      } catch (err) {
        if (statusCode(err) === 409) editorConflicts++;
        else if (statusCode(err) !== 404) throw err;
      }
      const run = await env.run(name);
      if (['Succeeded', 'Failed', 'TimedOut', 'Cancelled'].includes(run.status?.phase ?? ''))
        finished.add(name);
      await sleep(10);
    }
  };
  // Several editors per run, so that edits land between the operator's read of a run and its
  // status write often enough that some of those writes conflict: the path this test is about.
  await Promise.all(names.flatMap((name) => Array.from({ length: editorsPerRun }, () => editor(name))));

  const operator = env.operator;
  assert.ok(operator);
  const conflicts = operator.logs.filter(
    (l) => l.message === 'status conflict; will reconcile the newer version',
  );
  t.diagnostic(
    `${edits} edits of ${count} running runs (${editorConflicts} of the editor's replaces conflicted); the operator's status writes conflicted ${conflicts.length} times`,
  );
  assert.ok(conflicts.length > 0, 'some of the operator’s status writes conflicted with the edits');
  for (const name of names) {
    const run: PipelineRun = await env.waitForPhase(name, 'Succeeded', { timeoutMs: 30_000 });
    const s = run.status ?? {};
    assert.equal(s.attempt, 1, `${name} was not restarted`);
    assert.deepEqual(
      s.steps?.map((x) => [x.name, x.state, x.exitCode]),
      steps.map((x) => [x.name, 'succeeded', 0]),
      `${name}: every step's outcome is in the status`,
    );
    assert.ok(s.startTime && s.completionTime && s.duration, `${name}: times`);
    assert.equal(
      s.observedGeneration,
      1,
      `${name}: the status describes the generation its pod was built from`,
    );
    assert.ok((run.metadata.generation ?? 0) > 1, `${name}: the spec was edited`);
    const phases = history.phases(`${env.namespace}/${name}`).filter((p) => p !== undefined);
    const order = ['Queued', 'Pending', 'Running', 'Succeeded'];
    assert.deepEqual(
      phases,
      [...phases].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
      `${name}: phases only move forward (${phases.join(' → ')})`,
    );
  }
  assert.deepEqual(history.finishedMoreThanOnce(), []);
  assert.deepEqual(pods.order().sort(), names.map((n) => `${n}-1`).sort(), 'one pod per run');
  assert.deepEqual(unhandledErrors(operator.logs), []);
});
