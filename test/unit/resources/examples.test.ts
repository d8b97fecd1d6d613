// The examples users copy from are valid for the operator's validator (the end-to-end test
// applies them to the API server).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateNodePool, validatePipelineRun } from '../../../src/resources/validate.ts';
import { examples } from '../../support/fixtures.ts';

const required = ['nodejs-postgres.yaml', 'go-build.yaml', 'failing-step-continue.yaml', 'peasant-pool.yaml'];

test('the examples the issue asks for exist', () => {
  const files = examples().map((e) => e.file);
  for (const file of required) assert.ok(files.includes(file), `examples/${file} is missing`);
});

for (const { file, manifest } of examples()) {
  test(`examples/${file} is valid`, () => {
    const result = manifest.kind === 'NodePool' ? validateNodePool(manifest) : validatePipelineRun(manifest);
    assert.deepEqual(result, { ok: true });
  });
}

test('failing-step-continue.yaml has a step that continues on error, before another step', () => {
  const example = examples().find((e) => e.file === 'failing-step-continue.yaml');
  const steps = (example?.manifest.spec as { steps: { onError?: string }[] }).steps;
  const index = steps.findIndex((s) => s.onError === 'continue');
  assert.ok(index >= 0 && index < steps.length - 1);
});
