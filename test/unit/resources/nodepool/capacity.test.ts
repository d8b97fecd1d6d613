// Quantities and a pool's room, as kube-scheduler's NodeResourcesFit counts them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from '../../../../src/kube/json.ts';
import {
  describeRequests,
  fits,
  neverFits,
  nodeRoom,
  podRequests,
  take,
} from '../../../../src/resources/nodepool/capacity.ts';
import { formatAmount, quantityValue, schedulerAmount } from '../../../../src/resources/nodepool/quantity.ts';

test('quantities parse as the API writes them, and round up to the scheduler’s units', () => {
  const cases: [resource: string, quantity: string | number, amount: number][] = [
    ['cpu', '500m', 500],
    ['cpu', '2', 2000],
    ['cpu', 1.5, 1500],
    ['cpu', '0.1', 100],
    ['cpu', '100u', 1], // below a millicore: rounds up, as MilliValue does
    ['memory', '1Gi', 2 ** 30],
    ['memory', '1.5Gi', 1.5 * 2 ** 30],
    ['memory', '128974848', 128974848],
    ['memory', '129e6', 129e6],
    ['memory', '123M', 123e6],
    ['memory', '100m', 1], // a tenth of a byte is one byte
    ['pods', '110', 110],
    ['nvidia.com/gpu', '1', 1],
    ['ephemeral-storage', '10Ki', 10240],
  ];
  for (const [resource, quantity, amount] of cases) {
    assert.equal(schedulerAmount(resource, quantity), amount, `${resource} ${quantity}`);
  }
  assert.equal(quantityValue('.5'), 0.5);
  for (const bad of ['', 'one', '1Xi', '1.2.3', '--1']) {
    assert.throws(() => quantityValue(bad), /not a resource quantity/, bad);
  }
  assert.equal(formatAmount('cpu', 1500), '1500m');
  assert.equal(formatAmount('cpu', 8000), '8');
  assert.equal(formatAmount('memory', 32 * 2 ** 30), '32Gi');
  assert.equal(formatAmount('memory', 1000), '1000');
});

const container = (name: string, requests: Record<string, string>, restartPolicy?: string) => ({
  name,
  image: 'x',
  resources: { requests },
  ...(restartPolicy ? { restartPolicy } : {}),
});

test('a pod’s effective requests follow the scheduler’s rule for init containers and native sidecars', () => {
  const cases: { name: string; spec: NonNullable<Pod['spec']>; want: Record<string, number> }[] = [
    {
      name: 'main containers add up',
      spec: { containers: [container('a', { cpu: '1' }), container('b', { cpu: '500m', memory: '1Gi' })] },
      want: { cpu: 1500, memory: 2 ** 30, pods: 1 },
    },
    {
      name: 'an ordinary init container counts alone, when it is the peak',
      spec: {
        initContainers: [container('checkout', { cpu: '4' })],
        containers: [container('main', { cpu: '1' })],
      },
      want: { cpu: 4000, pods: 1 },
    },
    {
      name: 'sidecars run beside later init containers and beside the main ones',
      spec: {
        initContainers: [
          container('postgres', { cpu: '1', memory: '1Gi' }, 'Always'),
          container('checkout', { cpu: '2' }),
          container('redis', { cpu: '500m' }, 'Always'),
          container('test', { cpu: '3' }),
        ],
        containers: [container('last', { cpu: '1' })],
      },
      // init peak: postgres + redis + test = 1 + 0.5 + 3; main: 1 + 0.5 + 1
      want: { cpu: 4500, memory: 2 ** 30, pods: 1 },
    },
    {
      name: 'a limit without a request is the request; overhead is added',
      spec: {
        containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '2', 'example.com/fpga': '1' } } }],
        overhead: { cpu: '250m' },
      },
      want: { cpu: 2250, 'example.com/fpga': 1, pods: 1 },
    },
    {
      name: 'no requests at all is one pod',
      spec: { containers: [{ name: 'a', image: 'x' }] },
      want: { pods: 1 },
    },
  ];
  for (const c of cases) assert.deepEqual(Object.fromEntries(podRequests(c.spec)), c.want, c.name);
});

const node = (name: string, allocatable: Record<string, string>): Node => ({
  metadata: { name },
  status: { allocatable },
});

test('a node’s room is its allocatable minus what its pods request, and a fit leaves none of it negative', () => {
  const room = nodeRoom(node('n', { cpu: '8', memory: '32Gi', pods: '110' }), [
    new Map([
      ['cpu', 3000],
      ['pods', 1],
    ]),
    new Map([
      ['cpu', 1000],
      ['memory', 2 ** 30],
      ['pods', 1],
    ]),
  ]);
  assert.deepEqual(Object.fromEntries(room.free), { cpu: 4000, memory: 31 * 2 ** 30, pods: 108 });
  const run = new Map([
    ['cpu', 2000],
    ['pods', 1],
  ]);
  assert.ok(fits(run, room.free));
  take(room.free, run);
  assert.ok(fits(run, room.free), 'the second of two fits too');
  take(room.free, run);
  assert.ok(!fits(run, room.free), 'a third does not');
  assert.ok(!fits(new Map([['nvidia.com/gpu', 1]]), room.free), 'a resource the node lacks is 0');
  assert.ok(fits(new Map([['nvidia.com/gpu', 0]]), room.free), 'asking for 0 of it is fine');
});

test('a run that can never fit is told the request and the largest node; one that can is not', () => {
  const nodes = [
    nodeRoom(node('small-0', { cpu: '4', memory: '16Gi', pods: '110' }), []),
    nodeRoom(node('big-0', { cpu: '8', memory: '8Gi', pods: '110' }), []),
  ];
  const requests = (o: Record<string, number>) => new Map([...Object.entries(o), ['pods', 1]]);
  assert.equal(neverFits(requests({ cpu: 8000 }), nodes), undefined, 'fits big-0 when empty');
  assert.equal(
    neverFits(requests({ cpu: 16000 }), nodes),
    'it requests cpu 16, more than any node of the pool has: the largest, big-0, has 8 allocatable',
  );
  assert.equal(
    neverFits(requests({ memory: 64 * 2 ** 30 }), nodes),
    'it requests memory 64Gi, more than any node of the pool has: the largest, small-0, has 16Gi allocatable',
  );
  assert.equal(
    neverFits(requests({ cpu: 6000, memory: 12 * 2 ** 30 }), nodes),
    'no single node of the pool has all it requests (cpu 6, memory 12Gi); nodes: big-0, small-0',
  );
  assert.equal(neverFits(requests({ cpu: 64000 }), []), undefined, 'no nodes: not a verdict to give');
  assert.equal(describeRequests(requests({ memory: 2 ** 30, cpu: 500 })), 'cpu 500m, memory 1Gi');
});
