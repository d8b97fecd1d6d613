// The JavaScript twins of the CEL rules: each rule is proven against the API server by at
// least one invalid fixture (test/e2e/api-validation.test.ts runs the same fixtures), and
// the twins' edge cases are pinned here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv, type ErrorObject } from 'ajv';
import { kubernetesKeywords } from '../../../src/resources/kubernetes-keywords.ts';
import { nodePoolSchema } from '../../../src/resources/schema/nodepool.ts';
import { pipelineRunSchema } from '../../../src/resources/schema/pipelinerun.ts';
import * as rules from '../../../src/resources/schema/rules.ts';
import type { CelRule } from '../../../src/resources/schema/rules.ts';
import { invalidFixtures } from '../../support/fixtures.ts';

const allRules = Object.entries(rules).filter(
  (entry): entry is [string, CelRule<never>] => typeof entry[1] === 'object' && 'rule' in entry[1],
);

test('every CEL rule is broken by at least one invalid fixture', () => {
  const ajv = new Ajv({
    allErrors: true,
    strictTypes: false,
    keywords: kubernetesKeywords,
    validateFormats: false,
  });
  const validators = { PipelineRun: ajv.compile(pipelineRunSchema), NodePool: ajv.compile(nodePoolSchema) };
  const broken = new Set<string>();
  for (const { manifest } of invalidFixtures()) {
    const validate = manifest.kind === 'NodePool' ? validators.NodePool : validators.PipelineRun;
    validate(manifest);
    for (const error of validate.errors ?? ([] as ErrorObject[])) {
      if (error.keyword === 'x-kubernetes-validations') broken.add(String(error.params.rule));
    }
  }
  const unbroken = allRules.filter(([, rule]) => !broken.has(rule.rule)).map(([name]) => name);
  assert.deepEqual(unbroken, []);
});

interface Case {
  rule: CelRule<never>;
  self: unknown;
  valid: boolean;
}

// CEL's has() is true for a field that is present, even if empty; the twins must agree.
const cases: [string, Case][] = [
  [
    'args alone run the image’s entrypoint',
    { rule: rules.stepRunsSomething, self: { args: ['--ci'] }, valid: true },
  ],
  [
    'an empty command is still a command',
    { rule: rules.stepRunsSomething, self: { command: [] }, valid: true },
  ],
  [
    'args beside a script',
    { rule: rules.scriptExcludesCommand, self: { script: 'x', args: ['y'] }, valid: false },
  ],
  [
    'an empty value beside valueFrom',
    { rule: rules.valueExcludesValueFrom, self: { value: '', valueFrom: {} }, valid: false },
  ],
  ['valueFrom with no source', { rule: rules.oneValueSource, self: {}, valid: false }],
  [
    'a fieldRef alone',
    { rule: rules.oneValueSource, self: { fieldRef: { fieldPath: 'spec.nodeName' } }, valid: true },
  ],
  [
    'a selector with only empty parts',
    { rule: rules.selectorSelectsSomething, self: { matchLabels: {}, matchExpressions: [] }, valid: false },
  ],
  [
    'a selector with one expression',
    { rule: rules.selectorSelectsSomething, self: { matchExpressions: [{}] }, valid: true },
  ],
  [
    'NotIn with values',
    { rule: rules.setOperatorNeedsValues, self: { operator: 'NotIn', values: ['a'] }, valid: true },
  ],
  [
    'NotIn with an empty list',
    { rule: rules.setOperatorNeedsValues, self: { operator: 'NotIn', values: [] }, valid: false },
  ],
  [
    'DoesNotExist with an empty list',
    {
      rule: rules.existenceOperatorTakesNoValues,
      self: { operator: 'DoesNotExist', values: [] },
      valid: true,
    },
  ],
  [
    'a prefixed label key',
    { rule: rules.keysAreQualifiedNames, self: { 'furrow.dev/class': 'x' }, valid: true },
  ],
  [
    'a label key with two slashes',
    { rule: rules.keysAreQualifiedNames, self: { 'a/b/c': 'x' }, valid: false },
  ],
  [
    'a label name of 64 characters',
    { rule: rules.keysAreQualifiedNames, self: { ['a'.repeat(64)]: 'x' }, valid: false },
  ],
  [
    'a name of 63 characters',
    { rule: rules.nameAtMost63, self: { metadata: { name: 'a'.repeat(63) } }, valid: true },
  ],
  ['a step named furrow (no dash)', { rule: rules.notReservedName, self: 'furrow', valid: true }],
  [
    'services but no clash',
    {
      rule: rules.servicesAndStepsNamedApart,
      self: { steps: [{ name: 'a' }], services: [{ name: 'b' }] },
      valid: true,
    },
  ],
  [
    'a timeout with args alone (the image’s entrypoint can’t be wrapped)',
    { rule: rules.wrappedStepRunsACommand, self: { args: ['test'], timeout: '5m' }, valid: false },
  ],
  [
    'onError: continue with args alone',
    { rule: rules.wrappedStepRunsACommand, self: { args: ['test'], onError: 'continue' }, valid: false },
  ],
  [
    'onError: stopAndFail with args alone (not wrapped)',
    { rule: rules.wrappedStepRunsACommand, self: { args: ['test'], onError: 'stopAndFail' }, valid: true },
  ],
  [
    'a timeout with a command',
    { rule: rules.wrappedStepRunsACommand, self: { command: ['go'], timeout: '5m' }, valid: true },
  ],
  [
    'a timeout with a script',
    { rule: rules.wrappedStepRunsACommand, self: { script: 'go test', timeout: '5m' }, valid: true },
  ],
  [
    'an ssh:// URL without credentials',
    { rule: rules.sshUrlNeedsCredentials, self: { url: 'ssh://git@example.com/a.git' }, valid: false },
  ],
  [
    'an scp-like URL with credentials',
    {
      rule: rules.sshUrlNeedsCredentials,
      self: { url: 'git@example.com:a.git', credentials: { secretName: 'k' } },
      valid: true,
    },
  ],
  [
    'an https URL without credentials (a public repository)',
    { rule: rules.sshUrlNeedsCredentials, self: { url: 'https://user@example.com:8443/a.git' }, valid: true },
  ],
  [
    'credentials with an http URL',
    {
      rule: rules.credentialsNeedHttpOrSsh,
      self: { url: 'http://10.0.0.1:8080/a.git', credentials: { secretName: 'k' } },
      valid: true,
    },
  ],
  [
    'credentials with a file URL',
    {
      rule: rules.credentialsNeedHttpOrSsh,
      self: { url: 'file:///srv/a.git', credentials: { secretName: 'k' } },
      valid: false,
    },
  ],
  [
    'spec.image covers every step',
    { rule: rules.everyStepHasAnImage, self: { image: 'node:24', steps: [{ name: 'a' }] }, valid: true },
  ],
];

for (const [what, { rule, self, valid }] of cases) {
  test(`${what}: ${valid ? 'valid' : 'invalid'}`, () => {
    assert.equal(rule.check(self as never), valid);
  });
}

test('messages that name the culprit name the right one', () => {
  const spec = {
    steps: [{ name: 'a', image: 'x' }, { name: 'b' }],
    services: [{ name: 'db' }, { name: 'a' }],
  };
  assert.match(rules.everyStepHasAnImage.explain?.(spec) ?? '', /^step b has no image/);
  assert.match(rules.servicesAndStepsNamedApart.explain?.(spec) ?? '', /^service a has the name of a step/);
  assert.match(rules.keysAreQualifiedNames.explain?.({ ok: 'x', 'not ok': 'y' }) ?? '', /^key not ok is not/);
});
