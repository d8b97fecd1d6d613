// The runner pod's services: native sidecars that run beside the steps, and what they take
// (or don't) of the run's and the pool's settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from '../../../../src/kube/json.ts';
import type { Service } from '../../../../src/resources/types.ts';
import { makePool, makeRun } from '../../../support/builders.ts';
import { build, container, shebangArgv } from './helpers.ts';

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
