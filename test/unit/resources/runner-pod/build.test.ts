// The runner pod's rules, one at a time: ownership, labels, placement, security, the order of
// containers, env and resources precedence, the deadline backstop, the step wrapper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from '../../../../src/kube/json.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import type { GitSource, NodePool, PipelineRun, Service, Step } from '../../../../src/resources/types.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';

function build(run: PipelineRun, pool: NodePool = makePool(), attempt = 1, remainingMs = 3_600_000): Pod {
  return buildRunnerPod({ run, pool, attempt, remainingMs, gitImage });
}

function containers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

function container(pod: Pod, name: string): Container {
  const found = containers(pod).find((c) => c.name === name);
  assert.ok(found, `no container ${name}`);
  return found;
}

/** How a #! script runs: written to a file and executed (its $ escaped for Kubernetes). */
const shebangArgv = (script: string) => [
  '/bin/sh',
  '-c',
  'f=$$(mktemp); printf "%s" "$1" > "$f"; chmod +x "$f"; exec "$f"',
  'furrow-step',
  script,
];

const oneStep = (step: Partial<Step> = {}): Step[] => [{ name: 'only', command: ['true'], ...step }];

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

test('labels: the run’s, then Furrow’s own, which a run can’t override', () => {
  const pod = build(
    makeRun({
      name: 'app',
      uid: 'u-1',
      labels: { team: 'payments', 'app.kubernetes.io/managed-by': 'argocd', 'furrow.dev/pool': 'other' },
    }),
    makePool({ name: 'peasant' }),
    3,
  );
  assert.deepEqual(pod.metadata?.labels, {
    team: 'payments',
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

test('annotations: the run’s, minus kubectl’s last-applied-configuration and furrow.dev/*', () => {
  const pod = build(
    makeRun({
      generation: 4,
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}',
        'furrow.dev/generation': '99',
        'furrow.dev/anything': 'x',
        'github.com/sha': 'abc123',
        'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
      },
    }),
  );
  assert.deepEqual(pod.metadata?.annotations, {
    'github.com/sha': 'abc123',
    'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
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

test('container order: services (native sidecars), checkout, steps but the last; the last step is the main container', () => {
  const cases: { name: string; run: PipelineRun; init: string[]; main: string[] }[] = [
    {
      name: 'services and source',
      run: makeRun({
        spec: {
          services: [
            { name: 'db', image: 'postgres:17' },
            { name: 'cache', image: 'redis:8' },
          ],
        },
      }),
      init: ['db', 'cache', 'furrow-checkout', 'build', 'test'],
      main: ['package'],
    },
    {
      name: 'no source: no checkout',
      run: makeRun({ spec: { source: undefined } }),
      init: ['build', 'test'],
      main: ['package'],
    },
    {
      name: 'one step and nothing else: no init containers at all',
      run: makeRun({ spec: { source: undefined, steps: oneStep() } }),
      init: [],
      main: ['only'],
    },
  ];
  for (const c of cases) {
    const pod = build(c.run);
    assert.deepEqual(
      (pod.spec?.initContainers ?? []).map((x) => x.name),
      c.init,
      c.name,
    );
    assert.equal(pod.spec?.initContainers === undefined, c.init.length === 0, c.name);
    assert.deepEqual(
      pod.spec?.containers.map((x) => x.name),
      c.main,
      c.name,
    );
    for (const x of pod.spec?.initContainers ?? []) {
      const isService = c.run.spec.services?.some((s) => s.name === x.name) ?? false;
      assert.equal(x.restartPolicy, isService ? 'Always' : undefined, `${c.name}: ${x.name}`);
    }
  }
});

test('the checkout fetches the revision asked for into the shared workspace, with the credentials if any', () => {
  const noPrompt = { name: 'GIT_TERMINAL_PROMPT', value: '0' };
  const workspace = { name: 'workspace', mountPath: '/workspace' };
  const credentialsMount = {
    name: 'furrow-git-credentials',
    mountPath: '/var/run/secrets/furrow.dev/git-credentials',
    readOnly: true,
  };
  const cases: {
    git: GitSource;
    env: { name: string; value: string }[];
  }[] = [
    {
      git: { url: 'https://example.com/a.git', revision: 'v1.2.0' },
      env: [
        { name: 'FURROW_GIT_URL', value: 'https://example.com/a.git' },
        { name: 'FURROW_GIT_REVISION', value: 'v1.2.0' },
        noPrompt,
      ],
    },
    {
      git: {
        url: 'git@example.com:a.git',
        revision: 'main',
        depth: 1,
        credentials: { secretName: 'deploy-key' },
      },
      env: [
        { name: 'FURROW_GIT_URL', value: 'git@example.com:a.git' },
        { name: 'FURROW_GIT_REVISION', value: 'main' },
        { name: 'FURROW_GIT_DEPTH', value: '1' },
        { name: 'FURROW_GIT_SECRET', value: 'deploy-key' },
        noPrompt,
      ],
    },
    {
      // Env values are expanded by Kubernetes too: a $( in a URL must survive it.
      git: {
        url: 'https://example.com/$(HOME)$$.git',
        revision: 'main',
        credentials: { secretName: 'token' },
      },
      env: [
        { name: 'FURROW_GIT_URL', value: 'https://example.com/$$(HOME)$$$.git' },
        { name: 'FURROW_GIT_REVISION', value: 'main' },
        { name: 'FURROW_GIT_SECRET', value: 'token' },
        noPrompt,
      ],
    },
  ];
  for (const c of cases) {
    const pod = build(makeRun({ spec: { source: { git: c.git } } }));
    const checkout = container(pod, 'furrow-checkout');
    const authenticates = c.git.credentials !== undefined;
    assert.equal(checkout.image, gitImage);
    assert.deepEqual(checkout.env, c.env);
    assert.deepEqual(checkout.volumeMounts, authenticates ? [workspace, credentialsMount] : [workspace]);
    assert.equal(
      checkout.terminationMessagePolicy,
      'FallbackToLogsOnError',
      'git’s last words reach the status',
    );
    assert.deepEqual(checkout.command?.slice(0, 3), ['/bin/sh', '-e', '-c']);
    const script = checkout.command?.[3] ?? '';
    assert.match(script, /cd "\/workspace\/source"/);
    assert.equal(
      /GIT_SSH_COMMAND/.test(script),
      authenticates,
      'the credentials part only when there are credentials',
    );
    if (authenticates) {
      assert.match(script, /StrictHostKeyChecking=yes/);
      assert.doesNotMatch(script, /StrictHostKeyChecking=no/);
      assert.match(script, /refuse known_hosts/);
    }
    const volume = pod.spec?.volumes?.find((v) => v.name === 'furrow-git-credentials');
    assert.deepEqual(
      volume,
      c.git.credentials
        ? {
            name: 'furrow-git-credentials',
            secret: { secretName: c.git.credentials.secretName, defaultMode: 0o400, optional: true },
          }
        : undefined,
    );
  }
});

test('every container shares the workspace volume', () => {
  const pod = build(makeRun({ spec: { services: [{ name: 'db', image: 'postgres:17' }] } }));
  assert.deepEqual(pod.spec?.volumes, [{ name: 'workspace', emptyDir: {} }]);
  for (const c of containers(pod)) {
    assert.deepEqual(c.volumeMounts, [{ name: 'workspace', mountPath: '/workspace' }], c.name);
  }
});

test('a step: its image (else spec.image), command or script, working directory', () => {
  const cases: {
    name: string;
    step: Step;
    source: boolean;
    want: Partial<Container>;
  }[] = [
    {
      name: 'command and args as given, spec.image, source dir',
      step: { name: 's', command: ['go', 'test'], args: ['./...'] },
      source: true,
      want: {
        image: 'alpine:3.22',
        command: ['go', 'test'],
        args: ['./...'],
        workingDir: '/workspace/source',
      },
    },
    {
      name: 'args alone keep the image’s entrypoint',
      step: { name: 's', image: 'golang:1.26', args: ['version'] },
      source: false,
      want: { image: 'golang:1.26', command: undefined, args: ['version'], workingDir: '/workspace' },
    },
    {
      name: 'a script runs under sh -e',
      step: { name: 's', script: 'make\nmake test\n', workingDir: '/src' },
      source: true,
      want: { command: ['/bin/sh', '-e', '-c', 'make\nmake test\n'], args: undefined, workingDir: '/src' },
    },
    {
      name: 'a #! script runs as an executable with its own interpreter',
      step: { name: 's', script: '#!/usr/bin/env python3\nprint(1)\n' },
      source: true,
      want: {
        command: shebangArgv('#!/usr/bin/env python3\nprint(1)\n'),
      },
    },
  ];
  for (const c of cases) {
    const run = makeRun({ spec: { steps: [c.step], ...(c.source ? {} : { source: undefined }) } });
    const got = container(build(run), c.step.name);
    for (const [key, value] of Object.entries(c.want))
      assert.deepEqual(got[key as keyof Container], value, `${c.name}: ${key}`);
  }
});

test('env: spec.env, then the step’s own, which wins by name and keeps the first place', () => {
  const run = makeRun({
    spec: {
      env: [
        { name: 'A', value: 'run' },
        { name: 'B', value: 'run' },
      ],
      steps: [
        {
          name: 'one',
          command: ['true'],
          env: [
            { name: 'B', value: 'step' },
            { name: 'C', value: 'step' },
          ],
        },
        { name: 'two', command: ['true'] },
        {
          name: 'three',
          command: ['true'],
          env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        },
      ],
    },
  });
  const pod = build(run);
  assert.deepEqual(container(pod, 'one').env, [
    { name: 'A', value: 'run' },
    { name: 'B', value: 'step' },
    { name: 'C', value: 'step' },
  ]);
  assert.deepEqual(container(pod, 'two').env, [
    { name: 'A', value: 'run' },
    { name: 'B', value: 'run' },
  ]);
  assert.deepEqual(container(pod, 'three').env, [
    { name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    { name: 'B', value: 'run' },
  ]);
  const bare = build(makeRun({ spec: { steps: oneStep() } }));
  assert.equal(container(bare, 'only').env, undefined, 'no env at all: no env field');
});

test('resources merge name by name: the step’s, then spec.resources, then the pool’s runner.resources; quantities as strings', () => {
  const stepRes = { requests: { cpu: 2 }, limits: { memory: '1Gi' } };
  const runRes = { requests: { cpu: '500m', memory: 512 } };
  const poolRes = { requests: { cpu: '100m' }, limits: { memory: '4Gi' } };
  const cases: {
    name: string;
    step?: typeof stepRes;
    run?: typeof runRes;
    pool?: typeof poolRes;
    want: unknown;
  }[] = [
    {
      name: 'the step wins for what it names; the run and the pool fill in the rest',
      step: stepRes,
      run: runRes,
      pool: poolRes,
      want: { requests: { cpu: '2', memory: '512' }, limits: { memory: '1Gi' } },
    },
    {
      name: 'a run asking for CPU keeps the pool’s memory limit',
      run: runRes,
      pool: poolRes,
      want: { requests: { cpu: '500m', memory: '512' }, limits: { memory: '4Gi' } },
    },
    { name: 'the pool alone', pool: poolRes, want: { requests: { cpu: '100m' }, limits: { memory: '4Gi' } } },
    { name: 'none', want: undefined },
  ];
  for (const c of cases) {
    const run = makeRun({
      spec: { steps: oneStep(c.step ? { resources: c.step } : {}), ...(c.run ? { resources: c.run } : {}) },
    });
    const pool = makePool({ spec: { runner: c.pool ? { resources: c.pool } : {} } });
    assert.deepEqual(container(build(run, pool), 'only').resources, c.want, c.name);
  }
});

test('services: their own resources merged over the pool’s, ports default to TCP, script through sh -e', () => {
  const run = makeRun({
    spec: {
      resources: { requests: { cpu: '4' } },
      services: [
        {
          name: 'db',
          image: 'postgres:17',
          ports: [{ containerPort: 5432 }, { containerPort: 53, protocol: 'UDP' }],
        },
        { name: 'mock', image: 'busybox', script: 'httpd -f', resources: { limits: { memory: '64Mi' } } },
        { name: 'raw', image: 'redis:8', command: ['redis-server'], args: ['--save', ''] },
      ],
    },
  });
  const pod = build(run, makePool({ spec: { runner: { resources: { requests: { cpu: '100m' } } } } }));
  const db = container(pod, 'db');
  assert.deepEqual(db.ports, [
    { containerPort: 5432, protocol: 'TCP' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
  assert.deepEqual(
    db.resources,
    { requests: { cpu: '100m' } },
    'services don’t take the steps’ spec.resources',
  );
  assert.equal(db.command, undefined, 'the image’s entrypoint');
  assert.equal(
    db.workingDir,
    undefined,
    'services start before the checkout: no source directory yet, the image’s own',
  );
  const mock = container(pod, 'mock');
  assert.deepEqual(mock.command, ['/bin/sh', '-e', '-c', 'httpd -f']);
  assert.deepEqual(
    mock.resources,
    { requests: { cpu: '100m' }, limits: { memory: '64Mi' } },
    'its own limit, the pool’s request',
  );
  const raw = container(pod, 'raw');
  assert.deepEqual([raw.command, raw.args], [['redis-server'], ['--save', '']]);
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

test('the step wrapper is used only with a timeout or onError: continue', () => {
  const cases: { name: string; step: Partial<Step>; wrapped: boolean; env: Record<string, string> }[] = [
    { name: 'plain', step: {}, wrapped: false, env: {} },
    { name: 'explicit stopAndFail', step: { onError: 'stopAndFail' }, wrapped: false, env: {} },
    {
      name: 'continue',
      step: { onError: 'continue' },
      wrapped: true,
      env: { FURROW_STEP_NAME: 'only', FURROW_ON_ERROR: 'continue' },
    },
    {
      name: 'timeout, rounded up to whole seconds',
      step: { timeout: '1m30.5s' },
      wrapped: true,
      env: { FURROW_STEP_NAME: 'only', FURROW_ON_ERROR: 'stopAndFail', FURROW_STEP_TIMEOUT: '91' },
    },
  ];
  for (const c of cases) {
    const only = container(
      build(makeRun({ spec: { steps: oneStep({ command: ['make', 'it'], ...c.step }) } })),
      'only',
    );
    const argv = [...(only.command ?? []), ...(only.args ?? [])];
    if (c.wrapped) {
      assert.deepEqual(argv.slice(0, 2), ['/bin/sh', '-c'], c.name);
      assert.match(argv[2] ?? '', /^# furrow step wrapper/, c.name);
      assert.deepEqual(argv.slice(3), ['furrow-step', 'make', 'it'], c.name);
    } else {
      assert.deepEqual(argv, ['make', 'it'], c.name);
    }
    const env = Object.fromEntries((only.env ?? []).map((e) => [e.name, e.value ?? '']));
    assert.deepEqual(env, c.env, c.name);
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

test('services take nothing of the steps’ defaults (spec.env, spec.resources, the source directory), and run scripts as steps do', () => {
  const run = makeRun({
    spec: {
      env: [{ name: 'CI', value: 'true' }],
      resources: { requests: { cpu: '4' }, limits: { memory: '8Gi' } },
      services: [{ name: 'svc', image: 'busybox' }],
    },
  });
  const pool = makePool({ spec: { runner: { resources: { requests: { memory: '128Mi' } } } } });
  const cases: { name: string; service: Partial<Service>; want: Partial<Container> }[] = [
    {
      name: 'no env of its own: none, spec.env is the steps’',
      service: {},
      want: { env: undefined },
    },
    {
      name: 'its own env only',
      service: { env: [{ name: 'POSTGRES_PASSWORD', value: 'x' }] },
      want: { env: [{ name: 'POSTGRES_PASSWORD', value: 'x' }] },
    },
    {
      name: 'resources: its own, then the pool’s, never spec.resources',
      service: { resources: { limits: { cpu: '1' } } },
      want: { resources: { requests: { memory: '128Mi' }, limits: { cpu: '1' } } },
    },
    {
      name: 'workingDir unset: the image’s own (no default, the source isn’t checked out yet)',
      service: {},
      want: { workingDir: undefined },
    },
    { name: 'workingDir as given', service: { workingDir: '/data' }, want: { workingDir: '/data' } },
    {
      name: 'a script runs under sh -e',
      service: { script: 'httpd -f -p 8080' },
      want: { command: ['/bin/sh', '-e', '-c', 'httpd -f -p 8080'], args: undefined },
    },
    {
      name: 'a #! script runs with its own interpreter, as a step’s does',
      service: { script: '#!/usr/bin/env python3\nimport http.server\n' },
      want: {
        command: shebangArgv('#!/usr/bin/env python3\nimport http.server\n'),
        args: undefined,
      },
    },
  ];
  for (const c of cases) {
    const withService = structuredClone(run);
    withService.spec.services = [{ name: 'svc', image: 'busybox', ...c.service }];
    const got = container(build(withService, pool), 'svc');
    for (const [key, value] of Object.entries(c.want))
      assert.deepEqual(got[key as keyof Container], value, `${c.name}: ${key}`);
  }
});
