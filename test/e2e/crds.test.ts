// The CRDs in crds/ on a real API server: both kinds register, `kubectl get furrow` lists
// them, `kubectl explain` shows the schema's descriptions, and `kubectl get` shows the
// printer columns with the values of the fields they name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubectl, suffix, testNamespace } from '../support/kube.ts';
import { createObject, crdsDir, deleteObject, installCrds, replaceStatus } from '../support/furrow.ts';
import type { Manifest } from '../support/fixtures.ts';
import { apiVersion, group, nodePoolNames, pipelineRunNames } from '../../src/resources/names.ts';
import { pipelineRunSchema } from '../../src/resources/schema/pipelinerun.ts';
import type { NodePoolStatus, PipelineRunStatus } from '../../src/resources/types.ts';

function ok(args: string[]): string {
  const result = kubectl(args);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** `kubectl get` output as rows of columns (split on runs of two or more spaces). */
function table(output: string): string[][] {
  return output
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/u));
}

const squash = (text: string): string => text.replace(/\s+/gu, ' ').trim();

test('kubectl apply -f crds/ registers both kinds, Established, with their names and category', async () => {
  ok(['apply', '-f', crdsDir]);
  await installCrds();
  for (const names of [pipelineRunNames, nodePoolNames]) {
    const established = ok([
      'get',
      'crd',
      `${names.plural}.${group}`,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Established")].status}',
    ]);
    assert.equal(established, 'True');
  }
  const rows = table(ok(['api-resources', '--api-group', group, '-o', 'wide']));
  const byName = new Map(rows.slice(1).map((row) => [row[0], row]));
  assert.deepEqual(byName.get('pipelineruns')?.slice(0, 5), [
    'pipelineruns',
    'prun',
    apiVersion,
    'true',
    'PipelineRun',
  ]);
  assert.deepEqual(byName.get('nodepools')?.slice(0, 5), [
    'nodepools',
    'npool',
    apiVersion,
    'false',
    'NodePool',
  ]);
  for (const row of [byName.get('pipelineruns'), byName.get('nodepools')])
    assert.equal(row?.at(-1), 'furrow');
});

test('kubectl explain pipelinerun.spec.steps documents every field of a step', async () => {
  await installCrds();
  const output = squash(ok(['explain', 'pipelinerun.spec.steps']));
  const stepFields = pipelineRunSchema.properties.spec.properties.steps.items.properties;
  for (const [name, field] of Object.entries(stepFields)) {
    const description = squash((field as { description?: string }).description ?? '');
    assert.ok(description !== '', `${name} has no description`);
    assert.ok(output.includes(`${name} <`), `explain does not list ${name}`);
    assert.ok(output.includes(description), `explain does not show the description of ${name}`);
  }
});

function pipelineRun(name: string, pool: string): Manifest {
  return {
    apiVersion,
    kind: 'PipelineRun',
    metadata: { name },
    spec: { pool, image: 'node:24', steps: [{ name: 'test', command: ['npm', 'test'] }] },
  };
}

function nodePool(name: string): Manifest {
  return {
    apiVersion,
    kind: 'NodePool',
    metadata: { name },
    spec: { nodeSelector: { matchLabels: { 'e2e.furrow.dev/pool': name } } },
  };
}

test('kubectl get furrow lists PipelineRuns and NodePools', async (t) => {
  await installCrds();
  const namespace = await testNamespace(t, 'crds');
  const pool = `e2e-${suffix()}`;
  t.after(() => deleteObject({ kind: 'NodePool', name: pool }, namespace));
  await createObject(nodePool(pool), namespace);
  await createObject(pipelineRun('listed', pool), namespace);
  const output = ok(['get', 'furrow', '-n', namespace]);
  assert.match(output, new RegExp(`^pipelinerun\\.furrow\\.dev/listed\\s`, 'mu'));
  assert.match(output, new RegExp(`^nodepool\\.furrow\\.dev/${pool}\\s`, 'mu'));
});

test('kubectl get prun shows POOL, STATUS, REASON, NODE, AGE, DURATION, and STEP and ATTEMPT when wide', async (t) => {
  await installCrds();
  const namespace = await testNamespace(t, 'crds');
  const created = await createObject(pipelineRun('columns', 'peasant'), namespace);
  const status: PipelineRunStatus = {
    phase: 'Succeeded',
    reason: 'AllStepsSucceeded',
    nodeName: 'peasant-1',
    duration: '1m23s',
    currentStep: 'test',
    attempt: 2,
  };
  await replaceStatus(created, status, namespace);

  const narrow = table(ok(['get', 'prun', 'columns', '-n', namespace]));
  assert.deepEqual(narrow[0], ['NAME', 'POOL', 'STATUS', 'REASON', 'NODE', 'AGE', 'DURATION']);
  const row = narrow[1] ?? [];
  assert.deepEqual(
    [...row.slice(0, 5), row[6]],
    ['columns', 'peasant', 'Succeeded', 'AllStepsSucceeded', 'peasant-1', '1m23s'],
  );
  assert.match(row[5] ?? '', /^\d+s$/u);

  const wide = table(ok(['get', 'prun', 'columns', '-n', namespace, '-o', 'wide']));
  assert.deepEqual(wide[0], [
    'NAME',
    'POOL',
    'STATUS',
    'REASON',
    'NODE',
    'AGE',
    'DURATION',
    'STEP',
    'ATTEMPT',
  ]);
  assert.deepEqual(wide[1]?.slice(7), ['test', '2']);
});

test('kubectl get npool shows NODES, READY, RUNNING, QUEUED, AGE (and CAPACITY when wide)', async (t) => {
  await installCrds();
  const name = `e2e-${suffix()}`;
  t.after(() => deleteObject({ kind: 'NodePool', name }, ''));
  const created = await createObject(nodePool(name), '');
  const status: NodePoolStatus = { nodes: 3, readyNodes: 2, runningRuns: 5, queuedRuns: 7, capacity: 1 };
  await replaceStatus(created, status, '');

  const narrow = table(ok(['get', 'npool', name]));
  assert.deepEqual(narrow[0], ['NAME', 'NODES', 'READY', 'RUNNING', 'QUEUED', 'AGE']);
  assert.deepEqual(narrow[1]?.slice(0, 5), [name, '3', '2', '5', '7']);
  const wide = table(ok(['get', 'npool', name, '-o', 'wide']));
  assert.deepEqual(wide[0], ['NAME', 'NODES', 'READY', 'RUNNING', 'QUEUED', 'AGE', 'CAPACITY']);
  assert.equal(wide[1]?.[6], '1');
});
