// The runner pod's rules, one at a time: ownership, labels, placement, security, the pool's
// runner settings, the deadline backstop, the pod's name. Its containers: containers.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodePool } from '../../../../src/resources/types.ts';
import { makePool, makeRun } from '../../../support/builders.ts';
import { build, containers } from './helpers.ts';

test('the pod is controlled by its run, and deleting the run waits for it', () => {
  const pod = build(makeRun({ name: 'app', uid: 'u-1' }));
  assert.deepEqual(pod.metadata?.ownerReferences, [
    {
      apiVersion: 'furrow.dev/v1alpha1',
      kind: 'PipelineRun',
      name: 'app',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.equal(pod.metadata?.namespace, 'ci');
});

test('labels: the run’s allowed ones, then Furrow’s own, which a run can’t override', () => {
  const pod = build(
    makeRun({
      name: 'app',
      uid: 'u-1',
      labels: {
        team: 'payments',
        'pod.furrow.dev/cost-centre': 'ci',
        'app.kubernetes.io/managed-by': 'argocd',
        'furrow.dev/pool': 'other',
        'sidecar.istio.io/inject': 'true',
      },
    }),
    makePool({ name: 'peasant' }),
    3,
  );
  assert.deepEqual(pod.metadata?.labels, {
    team: 'payments',
    'pod.furrow.dev/cost-centre': 'ci',
    'app.kubernetes.io/managed-by': 'furrow',
    'furrow.dev/pool': 'peasant',
    'furrow.dev/pipelinerun': 'app',
    'furrow.dev/pipelinerun-uid': 'u-1',
    'furrow.dev/attempt': '3',
  });
});

test('a run name too long for a label value is shortened, keeping distinct names distinct', () => {
  const long = (tail: string) => `${'a'.repeat(70)}${tail}`;
  const a = build(makeRun({ name: long('x') })).metadata?.labels?.['furrow.dev/pipelinerun'] ?? '';
  const b = build(makeRun({ name: long('y') })).metadata?.labels?.['furrow.dev/pipelinerun'] ?? '';
  assert.ok(a.length <= 63 && b.length <= 63, `${a} ${b}`);
  assert.notEqual(a, b);
  assert.match(a, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
});

test('annotations: the run’s under pod.furrow.dev/, then Furrow’s own, which a run can’t override', () => {
  const pod = build(
    makeRun({
      generation: 4,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}',
        'furrow.dev/generation': '99',
        'furrow.dev/anything': 'x',
        'github.com/sha': 'abc123',
        'pod.furrow.dev/sha': 'abc123',
        'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
      },
    }),
  );
  assert.deepEqual(pod.metadata?.annotations, {
    'pod.furrow.dev/sha': 'abc123',
    'furrow.dev/generation': '4',
    'kubectl.kubernetes.io/default-container': 'build',
  });
});

test('placement: nodeSelector furrow.dev/pool=<pool>, tolerations for exactly the pool’s taints', () => {
  const cases: { name: string; taints: NodePool['spec']['taints']; want: unknown[] }[] = [
    {
      name: 'spec.taints unset: the default taint',
      taints: undefined,
      want: [{ key: 'furrow.dev/pool', operator: 'Equal', value: 'peasant', effect: 'NoSchedule' }],
    },
    { name: 'taints: [] means none', taints: [], want: [] },
    {
      name: 'the pool’s own taints, with and without values',
      taints: [
        { key: 'dedicated', value: 'ci', effect: 'NoSchedule' },
        { key: 'spot', effect: 'NoExecute' },
      ],
      want: [
        { key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' },
        { key: 'spot', operator: 'Equal', value: '', effect: 'NoExecute' },
      ],
    },
  ];
  for (const c of cases) {
    const pod = build(makeRun(), makePool({ name: 'peasant', spec: { taints: c.taints } }));
    assert.deepEqual(pod.spec?.nodeSelector, { 'furrow.dev/pool': 'peasant' }, c.name);
    assert.deepEqual(pod.spec?.tolerations, c.want, c.name);
  }
});

test('the pod never restarts, mounts no token, and every container is locked down', () => {
  for (const runAsNonRoot of [undefined, false, true]) {
    const pod = build(
      makeRun({ spec: { services: [{ name: 'db', image: 'postgres:17' }] } }),
      makePool({ spec: { runner: runAsNonRoot === undefined ? {} : { runAsNonRoot } } }),
    );
    const label = `runAsNonRoot ${runAsNonRoot}`;
    assert.equal(pod.spec?.restartPolicy, 'Never', label);
    assert.equal(pod.spec?.automountServiceAccountToken, false, label);
    assert.equal(pod.spec?.enableServiceLinks, false, label);
    assert.equal(pod.spec?.hostNetwork, undefined, label);
    assert.deepEqual(
      pod.spec?.securityContext,
      { seccompProfile: { type: 'RuntimeDefault' }, ...(runAsNonRoot ? { runAsNonRoot: true } : {}) },
      label,
    );
    assert.equal(containers(pod).length, 5);
    for (const c of containers(pod)) {
      assert.deepEqual(
        c.securityContext,
        {
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
          ...(runAsNonRoot ? { runAsNonRoot: true } : {}),
        },
        `${label}: ${c.name}`,
      );
    }
  }
});

test('the pool’s runner settings reach the pod only when set', () => {
  const plain = build(makeRun(), makePool());
  assert.equal(plain.spec?.serviceAccountName, undefined);
  assert.equal(plain.spec?.runtimeClassName, undefined);
  assert.equal(plain.spec?.priorityClassName, undefined);
  const pod = build(
    makeRun(),
    makePool({
      spec: { runner: { serviceAccountName: 'ci', runtimeClassName: 'kata', priorityClassName: 'low' } },
    }),
  );
  assert.equal(pod.spec?.serviceAccountName, 'ci');
  assert.equal(pod.spec?.runtimeClassName, 'kata');
  assert.equal(pod.spec?.priorityClassName, 'low');
});

test('activeDeadlineSeconds: the time left, rounded up, plus 30 s; capped by the pool', () => {
  const cases: { remainingMs: number; cap?: number; want: number }[] = [
    { remainingMs: 3_600_000, want: 3630 },
    { remainingMs: 1_000, want: 31 },
    { remainingMs: 1_001, want: 32 },
    { remainingMs: 0, want: 31 },
    { remainingMs: -5_000, want: 31 },
    { remainingMs: 3_600_000, cap: 600, want: 600 },
    { remainingMs: 60_000, cap: 600, want: 90 },
  ];
  for (const c of cases) {
    const pool = makePool({ spec: { runner: c.cap !== undefined ? { activeDeadlineSeconds: c.cap } : {} } });
    const pod = build(makeRun(), pool, 1, c.remainingMs);
    assert.equal(pod.spec?.activeDeadlineSeconds, c.want, JSON.stringify(c));
  }
});

test('pod names: <run>-<attempt>, hashed when longer than 63, distinct for distinct long names', () => {
  const name = (run: string, attempt = 1) =>
    build(makeRun({ name: run }), makePool(), attempt).metadata?.name ?? '';
  assert.equal(name('app'), 'app-1');
  assert.equal(name('app', 12), 'app-12');
  const exact = 'a'.repeat(61);
  assert.equal(name(exact), `${exact}-1`, '63 characters still fit');
  const long = 'a'.repeat(62);
  const hashed = name(long);
  assert.equal(hashed.length, 63);
  assert.match(hashed, /^a+-[0-9a-f]{8}-1$/);
  const shared = 'b'.repeat(100);
  const names = new Set([name(`${shared}-x`), name(`${shared}-y`), name(`${shared}.z`)]);
  assert.equal(names.size, 3);
  for (const n of names) {
    assert.ok(n.length <= 63, n);
    assert.match(n, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, n);
  }
  assert.equal(name(`${shared}-x`, 2).slice(0, -2), name(`${shared}-x`, 1).slice(0, -2), 'stable prefix');
  // A cut right after a dash doesn't leave "--" before the hash.
  assert.match(name(`${'c'.repeat(51)}-${'d'.repeat(20)}`), /^c{51}-[0-9a-f]{8}-1$/);
});
