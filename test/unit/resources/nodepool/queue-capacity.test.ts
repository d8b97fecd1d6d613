// The admission queue when it knows capacity: a run starts only when its pod fits on a ready
// member node, in the same priority and namespace-fair order as a limited pool's queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from '../../../../src/kube/json.ts';
import { nodeRoom, type Amounts } from '../../../../src/resources/nodepool/capacity.ts';
import { computeQueue, type PoolCapacity, type RunState } from '../../../../src/resources/nodepool/queue.ts';
import type { NodePool } from '../../../../src/resources/types.ts';
import { at, makePool } from '../../../support/builders.ts';

const node = (name: string, cpu = '4'): Node => ({
  metadata: { name },
  status: { allocatable: { cpu, memory: '16Gi', pods: '110' } },
});
const cpu = (cores: number): Amounts =>
  new Map([
    ['cpu', cores * 1000],
    ['pods', 1],
  ]);

function run(name: string, created: number, o: Partial<RunState> = {}): RunState {
  return {
    key: `ns/${name}`,
    namespace: 'ns',
    name,
    priority: 0,
    created: at(created),
    started: false,
    final: false,
    cancelled: false,
    ...o,
  };
}

function capacity(
  nodes: Node[],
  o: Partial<PoolCapacity> & { sizes?: Record<string, number> } = {},
): PoolCapacity {
  const rooms = nodes.map((n) => nodeRoom(n, []));
  return {
    ready: rooms,
    members: rooms,
    requestsOf: (r) => cpu(o.sizes?.[r.name] ?? 2),
    unbound: [],
    runnersPerNode: new Map(),
    ...o,
  };
}

function queue(pool: NodePool, runs: RunState[], c: PoolCapacity) {
  return computeQueue({
    poolName: 'peasant',
    pool,
    readyNodes: c.ready.length,
    nodeSlots: 330,
    runs,
    namespaceAllowed: () => true,
    capacity: c,
  });
}

const threeNodes = [node('n-0'), node('n-1'), node('n-2')];

test('a pool with no limits admits only the runs that fit, and queues the rest in order', () => {
  const runs = Array.from({ length: 30 }, (_, i) => run(`r${String(i).padStart(2, '0')}`, i));
  const q = queue(makePool(), runs, capacity(threeNodes));
  const admitted = runs.filter((r) => q.admissions.get(r.key)?.state === 'admitted').map((r) => r.name);
  assert.deepEqual(admitted, ['r00', 'r01', 'r02', 'r03', 'r04', 'r05'], 'two of 2 cpu per 4-cpu node');
  assert.equal(q.queued, 24);
  const seventh = q.admissions.get('ns/r06');
  assert.deepEqual(seventh, {
    state: 'queued',
    reason: 'PoolAtCapacity',
    message: 'NodePool peasant is full: no ready node has room for cpu 2',
    position: 1,
  });
  assert.equal((q.admissions.get('ns/r29') as { position: number }).position, 24);
});

test('runs that hold a slot but are not on a node yet take room first', () => {
  const c = capacity(threeNodes, { unbound: [{ requests: cpu(4) }, { requests: cpu(2) }] });
  const q = queue(makePool(), [run('a', 1), run('b', 2), run('c', 3), run('d', 4), run('e', 5)], c);
  const states = ['a', 'b', 'c', 'd', 'e'].map((n) => q.admissions.get(`ns/${n}`)?.state);
  // 12 cpus, 6 held: three more runs of 2 fit.
  assert.deepEqual(states, ['admitted', 'admitted', 'admitted', 'queued', 'queued']);
});

test('the order is strict: a large run at the head is not overtaken by small ones that fit', () => {
  const c = capacity(threeNodes, { sizes: { big: 4 }, unbound: [{ requests: cpu(1) }] });
  const q = queue(makePool(), [run('one', 1), run('two', 2), run('big', 3), run('small', 4)], c);
  // one and two fill n-0 after the held 1-cpu run... then big still fits n-1: admitted.
  assert.equal(q.admissions.get('ns/big')?.state, 'admitted');
  const full = capacity([node('n-0')], { sizes: { big: 4 } });
  const strict = queue(makePool(), [run('one', 1), run('big', 2), run('small', 3)], full);
  assert.equal(strict.admissions.get('ns/one')?.state, 'admitted');
  assert.equal(strict.admissions.get('ns/big')?.state, 'queued');
  assert.equal(strict.admissions.get('ns/small')?.state, 'queued', 'small would fit, but waits behind big');
});

test('priority still goes first, and namespaces still interleave, when capacity decides', () => {
  const runs = [run('low', 1), run('high', 2, { priority: 10 })];
  const q = queue(makePool({ spec: { allowedPriorities: { max: 10 } } }), runs, capacity([node('n-0', '2')]));
  assert.equal(q.admissions.get('ns/high')?.state, 'admitted');
  assert.deepEqual(q.admissions.get('ns/low'), {
    state: 'queued',
    reason: 'PoolAtCapacity',
    message: 'NodePool peasant is full: no ready node has room for cpu 2',
    position: 1,
  });
});

test('maxRunsPerNode caps runs per node, pins each admitted run to its node, and counts pods already there', () => {
  const pool = makePool({ spec: { maxRunsPerNode: 1 } });
  const q = queue(
    pool,
    [run('a', 1), run('b', 2), run('c', 3)],
    capacity(threeNodes, { runnersPerNode: new Map([['n-0', 1]]) }),
  );
  assert.deepEqual(q.admissions.get('ns/a'), { state: 'admitted', node: 'n-1' });
  assert.deepEqual(q.admissions.get('ns/b'), { state: 'admitted', node: 'n-2' });
  assert.deepEqual(q.admissions.get('ns/c'), {
    state: 'queued',
    reason: 'PoolAtCapacity',
    message: 'NodePool peasant is full: no ready node has room for cpu 2 and fewer than 1 of its runs',
    position: 1,
  });
  // A pinned run whose pod isn't bound yet holds its node.
  const pinned = queue(
    pool,
    [run('x', 1)],
    capacity([node('n-0'), node('n-1')], { unbound: [{ requests: cpu(1), node: 'n-0' }] }),
  );
  assert.deepEqual(pinned.admissions.get('ns/x'), { state: 'admitted', node: 'n-1' });
});

test('a run larger than any member node is refused at once, naming its request and the largest node', () => {
  const nodes = [node('n-0', '4'), node('n-1', '8')];
  const q = queue(makePool(), [run('huge', 1), run('ok', 2)], capacity(nodes, { sizes: { huge: 16 } }));
  assert.deepEqual(q.admissions.get('ns/huge'), {
    state: 'refused',
    reason: 'RequestsExceedNodes',
    message:
      'NodePool peasant can never run it: it requests cpu 16, more than any node of the pool has: the largest, n-1, has 8 allocatable',
  });
  assert.equal(q.admissions.get('ns/ok')?.state, 'admitted', 'the refusal doesn’t block the queue');
  // Judged on every member, ready or not: a NotReady big node may come back.
  const notReady = capacity([node('n-0', '4')], { sizes: { huge: 8 } });
  const wait = queue(makePool(), [run('huge', 1)], {
    ...notReady,
    members: [...notReady.members, nodeRoom(node('down', '8'), [])],
  });
  assert.equal(wait.admissions.get('ns/huge')?.state, 'queued');
});
