// The import graph of src/: no cycles, and no import from a lower layer to a higher one. The
// layers, top to bottom (a module may import its own layer and any below it):
//
//   0 entry          main.ts: flags, logging, HTTP endpoints, signals
//   1 operator       operator.ts: builds the list of controllers and runs it
//     furrow-api     api/: a process of its own (api/main.ts is its entry point): the HTTP API
//                    served through the kube-apiserver as api.furrow.dev (run logs, ADR 11)
//     plugin         cli/: the kubectl plugin, a process of its own (cli/kubectl-furrow.ts)
//                    The three processes share only the layers below: see the test at the end.
//   2 setup          controllers/: each controller's indexes, notifications→keys, dependencies
//   3 reconcilers    reconcilers/ (observe, decide, write through writers.ts), admission/,
//                    archive/ (copies finished attempts' logs to the object store)
//   4 machinery      kube/ (client, informer, cache, work queue, controller loop, leader
//                    election, Kubernetes Events), informers.ts, indexes.ts, trim.ts,
//                    observability/, config/, store/ (the object store client)
//   5 resources      resources/: the API and pure decisions; imports only kube/json.ts
//   6 wire types     kube/json.ts: the JSON shapes of Kubernetes objects, objectKey
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../../src');

const layers: [number, RegExp][] = [
  [6, /^kube\/json\.ts$/],
  [0, /^main\.ts$/],
  [1, /^operator\.ts$/],
  [1, /^(api|cli)\//],
  [2, /^controllers\//],
  [3, /^(reconcilers|admission|archive)\//],
  [4, /^(kube|observability|config|store)\/|^(informers|indexes|trim)\.ts$/],
  [5, /^resources\//],
];

function layerOf(file: string): number {
  const found = layers.find(([, pattern]) => pattern.test(file));
  if (!found) throw new Error(`${file} is in no layer: add it to the table in this test`);
  return found[0];
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative imports and re-exports of a module (type-only ones included), as src/ paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+'(\.[^']+)'/g)].map(
    (m) => m[1] ?? '',
  );
  const dynamic = [...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? '');
  return [...specifiers, ...dynamic].map((s) => relative(root, resolve(dirname(join(root, file)), s)));
}

const graph = new Map(sources(root).map((f) => [relative(root, f), importsOf(relative(root, f))]));

test('every module of src/ is in a layer', () => {
  for (const file of graph.keys()) layerOf(file);
});

test('no module imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      if (layerOf(target) < layerOf(file))
        upward.push(`${file} (${layerOf(file)}) → ${target} (${layerOf(target)})`);
    }
  }
  assert.deepEqual(upward, []);
});

test('the import graph has no cycle', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('the import scanner sees imports (a guard against a regex that matches nothing)', () => {
  assert.ok((graph.get('operator.ts') ?? []).includes('controllers/setup.ts'));
  assert.ok((graph.get('resources/types.ts') ?? []).includes('kube/json.ts'));
});

test('no file in src/ is over 400 lines', () => {
  const long = [...graph.keys()]
    .map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length - 1] as const)
    .filter(([, lines]) => lines > 400)
    .map(([f, lines]) => `${f}: ${lines}`);
  assert.deepEqual(long, []);
});

// Three processes, one tree: the operator (main.ts, operator.ts, controllers/, reconcilers/,
// admission/, archive/), furrow-api (api/) and the plugin (cli/). None imports another's own
// code, only the shared lower layers (kube/, observability/, store/, resources/...), so each can
// change, ship and be reasoned about alone.
const processes: [string, RegExp][] = [
  ['operator', /^(main\.ts|operator\.ts|controllers\/|reconcilers\/|admission\/|archive\/)/],
  ['furrow-api', /^api\//],
  ['plugin', /^cli\//],
];
const processOf = (file: string): string | undefined => processes.find(([, p]) => p.test(file))?.[0];

test('the operator, furrow-api and the plugin never import one another', () => {
  const crossing: string[] = [];
  for (const [file, imports] of graph) {
    const own = processOf(file);
    if (!own) continue;
    for (const target of imports) {
      const other = processOf(target);
      if (other && other !== own) crossing.push(`${file} (${own}) → ${target} (${other})`);
    }
  }
  assert.deepEqual(crossing, []);
  // The rule has something to check: each process exists and imports shared layers.
  for (const [name] of processes)
    assert.ok(
      [...graph.keys()].some((f) => processOf(f) === name),
      name,
    );
  assert.ok((graph.get('api/main.ts') ?? []).includes('observability/logger.ts'));
});
