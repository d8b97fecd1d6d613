// The operator's validator: defaults as the API server applies them, refusals with
// Kubernetes field paths, and no CEL rule without its JavaScript twin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { kubernetesKeywords } from '../../../src/resources/kubernetes-keywords.ts';
import type { NodePool, PipelineRun } from '../../../src/resources/types.ts';
import {
  validateNodePool,
  validatePipelineRun,
  withNodePoolDefaults,
  withPipelineRunDefaults,
} from '../../../src/resources/validate.ts';

function run(spec: Partial<PipelineRun['spec']> = {}): PipelineRun {
  return {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'PipelineRun',
    metadata: { name: 'build' },
    spec: { pool: 'peasant', image: 'node:24', steps: [{ name: 'test', command: ['npm', 'test'] }], ...spec },
  };
}

function pool(spec: Partial<NodePool['spec']> = {}): NodePool {
  return {
    apiVersion: 'furrow.dev/v1alpha1',
    kind: 'NodePool',
    metadata: { name: 'peasant' },
    spec: { nodeSelector: { matchLabels: { 'furrow.dev/class': 'peasant' } }, ...spec },
  };
}

test('a PipelineRun gets the defaults the API server gives it', () => {
  const { spec } = withPipelineRunDefaults(
    run({ services: [{ name: 'db', image: 'postgres:17', ports: [{ containerPort: 5432 }] }] }),
  );
  assert.equal(spec.timeout, '1h');
  assert.deepEqual(spec.retries, { limit: 0, backoff: '10s' });
  assert.equal(spec.priority, 0);
  assert.equal(spec.steps[0]?.onError, 'stopAndFail');
  assert.equal(spec.services?.[0]?.ports?.[0]?.protocol, 'TCP');
  assert.equal(spec.cancelled, undefined);
});

test('defaults fill in only what is missing', () => {
  const { spec } = withPipelineRunDefaults(
    run({
      timeout: '5m',
      retries: { limit: 3 },
      steps: [{ name: 'audit', command: ['npm', 'audit'], onError: 'continue' }],
    }),
  );
  assert.equal(spec.timeout, '5m');
  assert.deepEqual(spec.retries, { limit: 3, backoff: '10s' });
  assert.equal(spec.steps[0]?.onError, 'continue');
});

test('a NodePool gets a runner with the default pendingTimeout', () => {
  assert.deepEqual(withNodePoolDefaults(pool()).spec.runner, { pendingTimeout: '10m' });
  assert.deepEqual(withNodePoolDefaults(pool({ runner: { pendingTimeout: '2m' } })).spec.runner, {
    pendingTimeout: '2m',
  });
});

test('defaulting returns a copy and leaves its argument alone', () => {
  const original = run();
  const before = structuredClone(original);
  withPipelineRunDefaults(original);
  assert.deepEqual(original, before);
});

test('validating does not default', () => {
  const original = run();
  assert.deepEqual(validatePipelineRun(original), { ok: true });
  assert.equal(original.spec.timeout, undefined);
});

const notObjects: [string, unknown][] = [
  ['null', null],
  ['a string', 'PipelineRun'],
  ['a list', [run()]],
  ['an empty object', {}],
];
for (const [what, value] of notObjects) {
  test(`${what} is refused, not thrown on`, () => {
    assert.equal(validatePipelineRun(value).ok, false);
    assert.equal(validateNodePool(value).ok, false);
  });
}

test('errors name the field and say what is wrong, with the CEL rule’s message naming the culprit', () => {
  const result = validatePipelineRun(
    run({
      image: undefined,
      steps: [
        { name: 'install', image: 'node:24', command: ['npm', 'ci'] },
        { name: 'test', command: ['npm', 'test'], onError: 'ignore' as 'continue' },
      ],
    }),
  );
  assert.deepEqual(result, {
    ok: false,
    errors: [
      {
        path: 'spec.image',
        message:
          'step test has no image: set spec.image (the default for every step) or an image on the step',
      },
      {
        path: 'spec.steps[1].onError',
        message: 'Unsupported value: supported values: "stopAndFail", "continue"',
      },
    ],
  });
});

test('unknown fields are refused, as kubectl’s strict field validation refuses them', () => {
  const result = validateNodePool({ ...pool(), spec: { ...pool().spec, maxRunPerNode: 2 } });
  assert.deepEqual(result, { ok: false, errors: [{ path: 'spec.maxRunPerNode', message: 'unknown field' }] });
});

test('a valid status passes', () => {
  const status: PipelineRun['status'] = {
    phase: 'Running',
    reason: 'StepRunning',
    conditions: [
      {
        type: 'Admitted',
        status: 'True',
        reason: 'Admitted',
        message: 'admitted to pool peasant',
        lastTransitionTime: '2026-01-02T03:04:05Z',
        observedGeneration: 1,
      },
      {
        type: 'Succeeded',
        status: 'Unknown',
        reason: 'Running',
        message: 'step test is running',
        lastTransitionTime: '2026-01-02T03:04:06.123Z',
      },
    ],
    podName: 'build-1',
    nodeName: 'peasant-0',
    startTime: '2026-01-02T03:04:06Z',
    attempt: 1,
    currentStep: 'test',
    observedGeneration: 1,
    steps: [{ name: 'test', state: 'running', startedAt: '2026-01-02T03:04:07Z' }],
    attempts: [{ attempt: 1, podName: 'build-1', phase: 'Running', countsAgainstLimit: true }],
  };
  assert.deepEqual(validatePipelineRun({ ...run(), status }), { ok: true });
});

function compileWithKeywords(schema: object): void {
  new Ajv({ keywords: kubernetesKeywords }).compile(schema);
}

test('a CEL rule without a JavaScript check can’t be compiled', () => {
  const schema = {
    type: 'object',
    'x-kubernetes-validations': [{ rule: 'has(self.a)', message: 'needs a' }],
  };
  assert.throws(() => compileWithKeywords(schema), /CEL rule "has\(self.a\)" has no JavaScript check/);
});

test('a CEL messageExpression without a JavaScript explain can’t be compiled', () => {
  const rule = { rule: 'true', message: 'x', messageExpression: "'x'", check: () => true };
  assert.throws(
    () => compileWithKeywords({ type: 'object', 'x-kubernetes-validations': [rule] }),
    /has a messageExpression but no JavaScript explain/,
  );
});

test('a list of type map without keys can’t be compiled', () => {
  assert.throws(
    () => compileWithKeywords({ type: 'array', 'x-kubernetes-list-type': 'map' }),
    /needs x-kubernetes-list-map-keys/,
  );
});

test('lists of type set refuse the second of two equal items', () => {
  const validate = new Ajv({ keywords: kubernetesKeywords }).compile({
    type: 'array',
    items: { type: 'string' },
    'x-kubernetes-list-type': 'set',
  });
  assert.equal(validate(['a', 'b']), true);
  assert.equal(validate(['a', 'b', 'a']), false);
  assert.equal(validate.errors?.[0]?.instancePath, '/2');
});
