// The runner pod's containers, one rule at a time: their order, the checkout, the workspace,
// steps, env and resources precedence, services, the step wrapper.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Container } from '../../../../src/kube/json.ts';
import type { GitSource, PipelineRun, Step } from '../../../../src/resources/types.ts';
import { gitImage, makePool, makeRun } from '../../../support/builders.ts';
import { build, containers, container, oneStep, shebangArgv } from './helpers.ts';

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

test('the checkout’s credentials part, run by sh against a Secret’s files: what git is told, or which key is missing', () => {
  const mount = '/var/run/secrets/furrow.dev/git-credentials';
  const pod = build(
    makeRun({
      spec: {
        source: { git: { url: 'https://h/a.git', revision: 'main', credentials: { secretName: 'creds' } } },
      },
    }),
  );
  // As the kubelet passes it ($$ is $), up to where the clone starts.
  const script = (container(pod, 'furrow-checkout').command?.[3] ?? '').replaceAll('$$', '$');
  const credentialsPart = script.slice(0, script.indexOf('mkdir -p'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'furrow-creds-'));
  try {
    const run = (url: string, files: Record<string, string>) => {
      const secret = mkdtempSync(path.join(dir, 'secret-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(secret, name), text);
      const part = credentialsPart
        .replaceAll(mount, secret)
        .replaceAll('/dev/termination-log', path.join(secret, 'termination-log'));
      const result = spawnSync(
        '/bin/sh',
        [
          '-e',
          '-c',
          `${part}git config --get http.sslCAInfo || true; git config --get http.sslVerify || true; echo "ssh: $GIT_SSH_COMMAND"`,
        ],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            FURROW_GIT_URL: url,
            FURROW_GIT_SECRET: 'creds',
            GIT_CONFIG_NOSYSTEM: '1',
            GIT_CONFIG_GLOBAL: '/dev/null',
          },
        },
      );
      return { code: result.status, out: result.stdout.replaceAll(secret, '$SECRET'), err: result.stderr };
    };
    const login = { username: 'u', password: 'p' };
    assert.deepEqual(
      run('https://h/a.git', login),
      { code: 0, out: 'ssh: \n', err: '' },
      'no ca.crt: the image’s CAs',
    );
    assert.deepEqual(
      run('https://h/a.git', { ...login, 'ca.crt': 'PEM' }),
      { code: 0, out: '$SECRET/ca.crt\nssh: \n', err: '' },
      'ca.crt: git trusts it, and never stops verifying',
    );
    assert.deepEqual(run('git@h:a.git', { 'ssh-privatekey': 'KEY', known_hosts: 'h ssh-ed25519 AAAA' }), {
      code: 0,
      out: 'ssh: ssh -i $SECRET/ssh-privatekey -o IdentitiesOnly=yes -o UserKnownHostsFile=$SECRET/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes\n',
      err: '',
    });
    const noKnownHosts = run('ssh://git@h/a.git', { 'ssh-privatekey': 'KEY', 'ca.crt': 'PEM' });
    assert.equal(noKnownHosts.code, 2);
    assert.match(noKnownHosts.err, /Secret creds has no key known_hosts .*never turns off host key checking/);
    const noPassword = run('https://h/a.git', { username: 'u', 'ca.crt': 'PEM' });
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.err, /Secret creds has no key password/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
