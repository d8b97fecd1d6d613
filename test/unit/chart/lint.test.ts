// The chart passes `helm lint --strict`, says which Furrow and Kubernetes it is for, and
// documents every value in values.yaml.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';
import { chartDir, helm } from '../../support/helm.ts';
import { repoRoot } from '../../support/paths.ts';

test('helm lint --strict: no warning, no error', () => {
  const result = helm(['lint', '--strict', chartDir]);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const complaints = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter((line) => /\[(WARNING|ERROR)\]|level=(WARN|ERROR)/.test(line));
  assert.deepEqual(complaints, []);
  assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('Chart.yaml: apiVersion v2, appVersion is the operator’s version, Kubernetes 1.30 or later', () => {
  const chart = load(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, string>;
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.equal(chart.apiVersion, 'v2');
  assert.equal(chart.name, 'furrow');
  assert.equal(chart.appVersion, pkg.version);
  assert.equal(chart.kubeVersion, '>=1.30.0-0');
});

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
}

test('values.yaml documents every value the schema knows, and nothing else', () => {
  const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
  const lines = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8').split('\n');
  // Keys of values.yaml with their dotted paths, from indentation (the file has no flow maps).
  const stack: { indent: number; key: string }[] = [];
  const seen = new Set<string>();
  const undocumented: string[] = [];
  const unknown: string[] = [];
  lines.forEach((line, i) => {
    const m = /^( *)([A-Za-z][A-Za-z0-9_]*):/.exec(line);
    if (!m) return;
    const indent = (m[1] ?? '').length;
    while (stack.length > 0 && (stack.at(-1)?.indent ?? 0) >= indent) stack.pop();
    const parentPath = stack.map((s) => s.key);
    stack.push({ indent, key: m[2] ?? '' });
    let parent: SchemaNode | undefined = schema;
    for (const key of parentPath) parent = parent?.properties?.[key];
    if (!parent?.properties) return; // inside a value that is an object of its own (resources)
    const node = parent.properties[m[2] ?? ''];
    const dotted = [...parentPath, m[2]].join('.');
    if (!node) {
      unknown.push(dotted);
      return;
    }
    seen.add(dotted);
    // A group of values (an object the schema describes key by key) needs no comment itself.
    if (node.properties) return;
    if (!lines[i - 1]?.trimStart().startsWith('#')) undocumented.push(dotted);
  });
  assert.deepEqual(unknown, [], 'keys of values.yaml that values.schema.json does not define');
  assert.deepEqual(undocumented, [], 'values without a comment right above them');
  const missing: string[] = [];
  const walk = (node: SchemaNode, prefix: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const dotted = [...prefix, key].join('.');
      if (dotted === 'global') continue;
      if (!seen.has(dotted)) missing.push(dotted);
      walk(child, [...prefix, key]);
    }
  };
  walk(schema, []);
  assert.deepEqual(missing, [], 'values the schema defines but values.yaml does not show');
});
