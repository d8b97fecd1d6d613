// Like kubebuilder's `make manifests` check: crds/ and the chart's helm/furrow/crds/ must be
// what the schema generates, so a schema change can't reach the cluster (or a review) without
// its CRDs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { crdDirectories, renderCrdFiles } from '../../../src/resources/schema/crds.ts';
import { repoRoot } from '../../support/paths.ts';

for (const directory of crdDirectories) {
  test(`${directory}/ holds exactly what \`make crds\` generates`, () => {
    const generated = renderCrdFiles();
    const onDisk = readdirSync(path.join(repoRoot, directory)).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(onDisk.sort(), generated.map((f) => path.basename(f.path)).sort(), 'run `make crds`');
    for (const file of generated) {
      const target = `${directory}/${path.basename(file.path)}`;
      const text = readFileSync(path.join(repoRoot, target), 'utf8');
      assert.ok(text === file.text, `${target} is stale: run \`make crds\``);
    }
  });
}
