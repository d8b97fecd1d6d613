// Every invalid manifest is refused by the operator's validator too, at the field the API
// server names, and for that mistake only (so each fixture tests what its header says).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  validateNodePool,
  validatePipelineRun,
  type ValidationResult,
} from '../../../src/resources/validate.ts';
import { invalidFixtures, isAtOrBelow, type Manifest } from '../../support/fixtures.ts';

const fixtures = invalidFixtures();

function validate(manifest: Manifest): ValidationResult {
  return manifest.kind === 'NodePool' ? validateNodePool(manifest) : validatePipelineRun(manifest);
}

test('there are at least 30 invalid fixtures, each expecting a different field or mistake', () => {
  assert.ok(fixtures.length >= 30, `only ${fixtures.length}`);
  assert.equal(
    new Set(fixtures.map((f) => f.mistake)).size,
    fixtures.length,
    'two fixtures describe the same mistake',
  );
});

for (const fixture of fixtures) {
  test(`${fixture.file}: refused at ${fixture.expect}`, (t) => {
    if (fixture.ajvSkip !== undefined) {
      t.skip(fixture.ajvSkip);
      return;
    }
    const result = validate(fixture.manifest);
    assert.equal(result.ok, false, 'accepted');
    const paths = result.errors.map((e) => e.path);
    assert.ok(paths.includes(fixture.expect), `errors at ${paths.join(', ')}`);
    const elsewhere = result.errors.filter((e) => !isAtOrBelow(e.path, fixture.expect));
    assert.deepEqual(elsewhere, [], 'the fixture has a second mistake');
  });
}

for (const fixture of fixtures.filter((f) => f.subresource === 'status')) {
  test(`${fixture.file}: without its status the object is valid (the e2e test creates it first)`, () => {
    const { status: _status, ...withoutStatus } = fixture.manifest;
    assert.deepEqual(validate(withoutStatus), { ok: true });
  });
}
