// Like kubebuilder's `make manifests` check: crds/ must be what the schema generates, so a
// schema change can't reach the cluster (or a review) without its CRDs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { crdDirectory, renderCrdFiles } from '../../../src/resources/schema/crds.ts';
import { repoRoot } from '../../support/paths.ts';

test('crds/ holds exactly what `make crds` generates', () => {
  const generated = renderCrdFiles();
  const onDisk = readdirSync(path.join(repoRoot, crdDirectory)).filter((f) => f.endsWith('.yaml'));
  assert.deepEqual(onDisk.sort(), generated.map((f) => path.basename(f.path)).sort(), 'run `make crds`');
  for (const file of generated) {
    const text = readFileSync(path.join(repoRoot, file.path), 'utf8');
    assert.ok(text === file.text, `${file.path} is stale: run \`make crds\``);
  }
});
