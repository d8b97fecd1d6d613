import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubernetesPath } from '../../../src/resources/field-errors.ts';

const data = {
  spec: {
    steps: [{ name: 'a' }, { name: 'b', env: [{ name: 'X' }] }],
    labels: { 'furrow.dev/team': 'ci', '0': 'zero' },
  },
};

const cases: { pointer: string; path: string }[] = [
  { pointer: '', path: '' },
  { pointer: '/spec', path: 'spec' },
  { pointer: '/spec/steps/1/name', path: 'spec.steps[1].name' },
  { pointer: '/spec/steps/1/env/0/valueFrom', path: 'spec.steps[1].env[0].valueFrom' },
  // A map key with a slash (escaped in the pointer), and one that looks like an index.
  { pointer: '/spec/labels/furrow.dev~1team', path: 'spec.labels.furrow.dev/team' },
  { pointer: '/spec/labels/0', path: 'spec.labels.0' },
  // Fields that aren't there (a missing required one) still get a path.
  { pointer: '/spec/image', path: 'spec.image' },
  { pointer: '/spec/steps/7/name', path: 'spec.steps[7].name' },
];

for (const { pointer, path } of cases) {
  test(`pointer "${pointer}" is ${path || 'the root'}`, () => {
    assert.equal(kubernetesPath(pointer, data), path);
  });
}
