// The chart ships the CRDs in its crds/ folder (docs/adr/0007-helm-crds.md); crds/ at the
// repository root is their single source, and `make crds` copies them into the chart.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { chartDir, helm, releaseName } from '../../support/helm.ts';
import { repoRoot } from '../../support/paths.ts';

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

test('helm/furrow/crds/ holds exactly the files of crds/, byte for byte', () => {
  const source = path.join(repoRoot, 'crds');
  const copy = path.join(chartDir, 'crds');
  assert.deepEqual(readdirSync(copy).sort(), yamlFiles(source), 'run `make crds`');
  for (const file of yamlFiles(source)) {
    assert.ok(
      readFileSync(path.join(copy, file), 'utf8') === readFileSync(path.join(source, file), 'utf8'),
      `helm/furrow/crds/${file} differs from crds/${file}: run \`make crds\``,
    );
  }
});

test('no template renders a CustomResourceDefinition (Helm would delete it on uninstall)', () => {
  const result = helm(['template', releaseName, chartDir]);
  assert.equal(result.status, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /kind: CustomResourceDefinition/);
  const withCrds = helm(['template', releaseName, chartDir, '--include-crds']);
  assert.equal(
    withCrds.stdout.match(/^kind: CustomResourceDefinition$/gm)?.length,
    yamlFiles(path.join(repoRoot, 'crds')).length,
  );
});
