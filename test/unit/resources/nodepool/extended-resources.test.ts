// A run may request only the extended resources its pool allows (runner.allowedExtendedResources).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  disallowedExtendedResources,
  extendedResourcesOf,
  isExtendedResource,
} from '../../../../src/resources/nodepool/extended-resources.ts';
import { computeQueue, type RunState } from '../../../../src/resources/nodepool/queue.ts';
import { makePool, makeRun } from '../../../support/builders.ts';

test('extended resources: anything but cpu, memory, ephemeral-storage and hugepages-*', () => {
  const cases: [string, boolean][] = [
    ['cpu', false],
    ['memory', false],
    ['ephemeral-storage', false],
    ['hugepages-2Mi', false],
    ['hugepages-1Gi', false],
    ['nvidia.com/gpu', true],
    ['amd.com/gpu', true],
    ['example.com/fpga', true],
    ['pods', true],
    ['storage', true],
  ];
  for (const [name, extended] of cases) assert.equal(isExtendedResource(name), extended, name);
});

test('a run’s extended resources: from spec.resources, steps and services, requests and limits, sorted', () => {
  const run = makeRun({
    spec: {
      resources: { requests: { cpu: '1', 'example.com/fpga': 1 } },
      steps: [
        { name: 'build', command: ['make'], resources: { limits: { 'nvidia.com/gpu': 1, memory: '1Gi' } } },
        { name: 'test', command: ['make'], resources: { requests: { 'hugepages-2Mi': '1Gi' } } },
      ],
      services: [
        { name: 'db', image: 'postgres', resources: { requests: { 'amd.com/gpu': 2, 'nvidia.com/gpu': 1 } } },
      ],
    },
  });
  assert.deepEqual(extendedResourcesOf(run.spec), ['amd.com/gpu', 'example.com/fpga', 'nvidia.com/gpu']);
  assert.deepEqual(extendedResourcesOf(makeRun().spec), []);
});

test('disallowed: those the pool’s runner.allowedExtendedResources does not name; unset or empty: all', () => {
  const cases: { allowed: string[] | undefined; requested: string[]; want: string[] }[] = [
    { allowed: undefined, requested: [], want: [] },
    { allowed: undefined, requested: ['nvidia.com/gpu'], want: ['nvidia.com/gpu'] },
    { allowed: [], requested: ['nvidia.com/gpu'], want: ['nvidia.com/gpu'] },
    { allowed: ['nvidia.com/gpu'], requested: ['nvidia.com/gpu'], want: [] },
    { allowed: ['nvidia.com/gpu'], requested: ['amd.com/gpu', 'nvidia.com/gpu'], want: ['amd.com/gpu'] },
  ];
  for (const c of cases) {
    const pool = makePool(c.allowed ? { spec: { runner: { allowedExtendedResources: c.allowed } } } : {});
    assert.deepEqual(disallowedExtendedResources(pool, c.requested), c.want, JSON.stringify(c));
  }
});

function state(name: string, extendedResources?: string[]): RunState {
  return {
    key: `ci/${name}`,
    namespace: 'ci',
    name,
    priority: 0,
    created: 0,
    started: false,
    final: false,
    cancelled: false,
    ...(extendedResources ? { extendedResources } : {}),
  };
}

test('the queue refuses a run asking for an extended resource its pool does not allow, naming it and the field', () => {
  const verdicts = (allowed?: string[]) =>
    computeQueue({
      poolName: 'peasant',
      pool: makePool(allowed ? { spec: { runner: { allowedExtendedResources: allowed } } } : {}),
      readyNodes: 1,
      nodeSlots: 10,
      runs: [
        state('plain'),
        state('gpu', ['nvidia.com/gpu']),
        state('two', ['amd.com/gpu', 'nvidia.com/gpu']),
      ],
      namespaceAllowed: () => true,
    }).admissions;

  const unset = verdicts();
  assert.deepEqual(unset.get('ci/plain'), { state: 'admitted' });
  assert.deepEqual(unset.get('ci/gpu'), {
    state: 'refused',
    reason: 'ExtendedResourceNotAllowed',
    message:
      'NodePool peasant does not allow the extended resource nvidia.com/gpu (its spec.runner.allowedExtendedResources: unset, none)',
  });
  assert.equal(unset.get('ci/two')?.state, 'refused');

  const gpus = verdicts(['nvidia.com/gpu']);
  assert.deepEqual(gpus.get('ci/gpu'), { state: 'admitted' });
  assert.deepEqual(gpus.get('ci/two'), {
    state: 'refused',
    reason: 'ExtendedResourceNotAllowed',
    message:
      'NodePool peasant does not allow the extended resource amd.com/gpu (its spec.runner.allowedExtendedResources: nvidia.com/gpu)',
  });
});
