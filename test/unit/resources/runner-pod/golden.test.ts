// Golden files: the runner pod buildRunnerPod makes for realistic runs (the examples users copy
// from, and an untrusted run on a locked-down pool), compared with test/golden/runner-pod/.
// After an intended change to the pod, rewrite the files and review the diff:
//   UPDATE_GOLDEN=1 make test-unit
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dump, load } from 'js-yaml';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import type { NodePool, PipelineRun } from '../../../../src/resources/types.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';
import { examplesDir } from '../../../support/fixtures.ts';
import { assertGolden } from '../../../support/golden.ts';

function example(file: string): unknown {
  return load(readFileSync(path.join(examplesDir, file), 'utf8'));
}

/** An example run as the API server returns it after `kubectl apply`. */
function applied(file: string): PipelineRun {
  const run = example(file) as PipelineRun;
  const name = run.metadata.name ?? '';
  run.metadata = {
    ...run.metadata,
    namespace: 'ci',
    uid: `3d6f0a52-0000-4000-8000-${name.length.toString().padStart(12, '0')}`,
    generation: 1,
    annotations: {
      ...run.metadata.annotations,
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: run.spec }),
    },
  };
  return run;
}

const peasant = example('peasant-pool.yaml') as NodePool;

/** A pool for untrusted code: its own taints, a sandboxed runtime, no root. */
const sandbox = makePool({
  name: 'sandbox',
  spec: {
    taints: [
      { key: 'furrow.dev/untrusted', effect: 'NoSchedule' },
      { key: 'furrow.dev/untrusted', value: 'true', effect: 'NoExecute' },
    ],
    runner: {
      runtimeClassName: 'gvisor',
      priorityClassName: 'ci-low',
      serviceAccountName: 'runner',
      runAsNonRoot: true,
      activeDeadlineSeconds: 600,
      resources: { requests: { cpu: '250m', memory: '256Mi' } },
    },
  },
});

const cases: { name: string; run: PipelineRun; pool: NodePool; attempt: number; remainingMs: number }[] = [
  {
    name: 'nodejs-postgres',
    run: applied('nodejs-postgres.yaml'),
    pool: peasant,
    attempt: 1,
    remainingMs: 1_800_000,
  },
  { name: 'go-build', run: applied('go-build.yaml'), pool: peasant, attempt: 1, remainingMs: 2_700_000 },
  {
    name: 'failing-step-continue',
    run: applied('failing-step-continue.yaml'),
    pool: peasant,
    attempt: 2,
    remainingMs: 3_412_345,
  },
  {
    // No source, a shebang script, a step timeout; the pool's deadline cap wins.
    name: 'untrusted-python',
    run: makeRun({
      name: 'fork-pr-1234',
      namespace: 'public',
      // Only the allowlisted metadata passes: pull and pod.furrow.dev/*, not the others.
      labels: { 'github.com/pull': '1234', pull: '1234', 'sidecar.istio.io/inject': 'true' },
      annotations: {
        'github.com/head': 'a1b2c3d',
        'pod.furrow.dev/head': 'a1b2c3d',
        'k8s.v1.cni.cncf.io/networks': 'macvlan',
        'iam.amazonaws.com/role': 'admin',
      },
      spec: {
        pool: 'sandbox',
        image: 'python:3.13-slim',
        source: undefined,
        steps: [
          {
            name: 'test',
            script: '#!/usr/bin/env python3\nimport sys\nprint(sys.version)\n',
            timeout: '90s',
          },
        ],
      },
    }),
    pool: sandbox,
    attempt: 1,
    remainingMs: 3_600_000,
  },
];

function render(c: (typeof cases)[number]): string {
  const pod = buildRunnerPod({
    run: c.run,
    pool: c.pool,
    attempt: c.attempt,
    remainingMs: c.remainingMs,
    gitImage,
  });
  return (
    `# buildRunnerPod for ${c.name}, attempt ${c.attempt}: see test/unit/resources/runner-pod/golden.test.ts.\n` +
    `# Rewrite with UPDATE_GOLDEN=1 make test-unit, and review the diff.\n` +
    dump(pod, { noRefs: true, lineWidth: -1 })
  );
}

for (const c of cases) {
  test(`runner pod of ${c.name} matches test/golden/runner-pod/${c.name}.yaml`, () => {
    assertGolden(`runner-pod/${c.name}.yaml`, render(c));
  });
}

test('rendering is deterministic: the same inputs give the same pod', () => {
  for (const c of cases) assert.equal(render(c), render(structuredClone(c)));
});
