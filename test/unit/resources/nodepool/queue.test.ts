// A pool's admission queue: how many runs may start, which, and in what order the rest wait.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  computeQueue,
  queueOrder,
  type QueueInput,
  type RunState,
} from '../../../../src/resources/nodepool/queue.ts';
import type { Admission } from '../../../../src/resources/api.ts';
import type { NodePool } from '../../../../src/resources/types.ts';
import { at, makePool } from '../../../support/builders.ts';

/** A run of the pool; `created` in seconds after T0. */
function run(namespace: string, name: string, created: number, o: Partial<RunState> = {}): RunState {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    priority: 0,
    created: at(created),
    started: false,
    final: false,
    cancelled: false,
    ...o,
  };
}
const holding = (namespace: string, name: string) => run(namespace, name, -100, { started: true });

function queue(pool: NodePool | undefined, runs: RunState[], o: Partial<QueueInput> = {}) {
  return computeQueue({
    poolName: 'peasant',
    pool,
    readyNodes: 3,
    nodeSlots: 300,
    runs,
    namespaceAllowed: () => true,
    ...o,
  });
}

/** The waiting runs by verdict: "admitted", or "<reason> #<position>". */
function verdicts(admissions: Map<string, Admission>): Record<string, string> {
  return Object.fromEntries(
    [...admissions].map(([key, a]) => [
      key,
      a.state === 'admitted'
        ? 'admitted'
        : `${a.reason}${'position' in a && a.position ? ` #${a.position}` : ''}`,
    ]),
  );
}

/** The waiting runs' names in admission order: admitted first, then by position. */
function order(admissions: Map<string, Admission>): string[] {
  const rank = (a: Admission) =>
    a.state === 'admitted' ? 0 : a.state === 'queued' ? (a.position ?? 1e9) : 2e9;
  return [...admissions].sort(([, a], [, b]) => rank(a) - rank(b)).map(([key]) => key);
}

const waiting3 = [run('ci', 'a', 1), run('ci', 'b', 2), run('ci', 'c', 3)];

test('limits: maxConcurrentRuns, maxRunsPerNode × ready nodes, the smaller of both', () => {
  const cases: {
    name: string;
    spec: Partial<NodePool['spec']>;
    readyNodes?: number;
    running: number;
    want: { limit: number | undefined; capacity: number; admitted: number; queued: number };
  }[] = [
    {
      name: 'no limits: every run, node capacity',
      spec: {},
      running: 5,
      want: { limit: undefined, capacity: 300, admitted: 3, queued: 0 },
    },
    {
      name: 'maxConcurrentRuns 2, 1 running',
      spec: { maxConcurrentRuns: 2 },
      running: 1,
      want: { limit: 2, capacity: 1, admitted: 1, queued: 2 },
    },
    {
      name: 'maxConcurrentRuns 10',
      spec: { maxConcurrentRuns: 10 },
      running: 1,
      want: { limit: 10, capacity: 9, admitted: 3, queued: 0 },
    },
    {
      name: 'maxRunsPerNode 2 × 3 nodes, 4 running',
      spec: { maxRunsPerNode: 2 },
      running: 4,
      want: { limit: 6, capacity: 2, admitted: 2, queued: 1 },
    },
    {
      name: 'maxRunsPerNode 2 × 1 node',
      spec: { maxRunsPerNode: 2 },
      readyNodes: 1,
      running: 0,
      want: { limit: 2, capacity: 2, admitted: 2, queued: 1 },
    },
    {
      name: 'both: per node is smaller',
      spec: { maxConcurrentRuns: 5, maxRunsPerNode: 1 },
      running: 2,
      want: { limit: 3, capacity: 1, admitted: 1, queued: 2 },
    },
    {
      name: 'both: maxConcurrentRuns is smaller',
      spec: { maxConcurrentRuns: 3, maxRunsPerNode: 4 },
      running: 2,
      want: { limit: 3, capacity: 1, admitted: 1, queued: 2 },
    },
    {
      name: 'maxConcurrentRuns 0: paused',
      spec: { maxConcurrentRuns: 0 },
      running: 0,
      want: { limit: 0, capacity: 0, admitted: 0, queued: 3 },
    },
    {
      name: 'more running than a lowered limit',
      spec: { maxConcurrentRuns: 2 },
      running: 4,
      want: { limit: 2, capacity: 0, admitted: 0, queued: 3 },
    },
    {
      name: 'no ready node, no limits',
      spec: {},
      readyNodes: 0,
      running: 0,
      want: { limit: undefined, capacity: 0, admitted: 0, queued: 3 },
    },
    {
      name: 'no ready node, maxRunsPerNode',
      spec: { maxRunsPerNode: 2 },
      readyNodes: 0,
      running: 0,
      want: { limit: 0, capacity: 0, admitted: 0, queued: 3 },
    },
    {
      name: 'no ready node, maxConcurrentRuns',
      spec: { maxConcurrentRuns: 5 },
      readyNodes: 0,
      running: 1,
      want: { limit: 5, capacity: 0, admitted: 0, queued: 3 },
    },
  ];
  for (const c of cases) {
    const runs = [...Array.from({ length: c.running }, (_, i) => holding('ci', `r${i}`)), ...waiting3];
    const result = queue(
      makePool({ spec: c.spec }),
      runs,
      c.readyNodes !== undefined ? { readyNodes: c.readyNodes } : {},
    );
    const admitted = [...result.admissions.values()].filter((a) => a.state === 'admitted').length;
    assert.deepEqual(
      { limit: result.limit, capacity: result.capacity, admitted, queued: result.queued },
      c.want,
      c.name,
    );
    assert.equal(result.running, c.running, c.name);
    assert.equal(result.admissions.size, 3, `${c.name}: a verdict for every waiting run`);
  }
});

test('why a run waits: PoolAtCapacity (or paused), NoReadyNodes, PoolNotFound', () => {
  const full = queue(makePool({ spec: { maxConcurrentRuns: 1 } }), [holding('ci', 'r'), run('ci', 'a', 1)]);
  assert.deepEqual(full.admissions.get('ci/a'), {
    state: 'queued',
    reason: 'PoolAtCapacity',
    message: 'NodePool peasant is full: 1 of 1 runs are running',
    position: 1,
  });
  const paused = queue(makePool({ spec: { maxConcurrentRuns: 0 } }), [run('ci', 'a', 1)]);
  assert.deepEqual(paused.admissions.get('ci/a'), {
    state: 'queued',
    reason: 'PoolAtCapacity',
    message: 'NodePool peasant is full: maxConcurrentRuns is 0 (the pool is paused)',
    position: 1,
  });
  const noNodes = queue(
    makePool({ spec: { maxConcurrentRuns: 4 } }),
    [run('ci', 'a', 1), run('ci', 'b', 2)],
    { readyNodes: 0 },
  );
  assert.deepEqual(verdicts(noNodes.admissions), { 'ci/a': 'NoReadyNodes #1', 'ci/b': 'NoReadyNodes #2' });
  assert.deepEqual(noNodes.admissions.get('ci/a'), {
    state: 'queued',
    reason: 'NoReadyNodes',
    message: 'NodePool peasant has no ready node',
    position: 1,
  });
  const missing = queue(undefined, [holding('ci', 'r'), run('ci', 'a', 1)]);
  assert.deepEqual(missing.admissions.get('ci/a'), {
    state: 'queued',
    reason: 'PoolNotFound',
    message: 'NodePool peasant does not exist',
  });
  assert.deepEqual([missing.running, missing.queued, missing.capacity], [1, 1, 0]);
  const deleting = queue(makePool({ deleting: 0 }), [run('ci', 'a', 1)]);
  assert.deepEqual(deleting.admissions.get('ci/a'), {
    state: 'queued',
    reason: 'PoolNotFound',
    message: 'NodePool peasant is being deleted',
  });
});

test('namespaceSelector: runs from other namespaces are refused, and take no place in the queue', () => {
  const result = queue(
    makePool({ spec: { maxConcurrentRuns: 1 } }),
    [run('public', 'p', 0), run('ci', 'a', 1), run('ci', 'b', 2)],
    { namespaceAllowed: (ns) => ns === 'ci' },
  );
  assert.deepEqual(result.admissions.get('public/p'), {
    state: 'refused',
    reason: 'PoolNotAllowed',
    message: 'NodePool peasant does not admit runs from namespace public (its namespaceSelector)',
  });
  assert.deepEqual(verdicts(result.admissions), {
    'public/p': 'PoolNotAllowed',
    'ci/a': 'admitted',
    'ci/b': 'PoolAtCapacity #1',
  });
  assert.equal(result.queued, 1);
});

test('started runs hold their slot until they are final; cancelled waiting runs don’t queue', () => {
  const pool = makePool({ spec: { maxConcurrentRuns: 2 } });
  const runs = [
    run('ci', 'done', -50, { started: true, final: true }),
    run('ci', 'going', -40, { started: true }),
    run('ci', 'cancelled-running', -30, { started: true, cancelled: true }),
    run('ci', 'cancelled-waiting', -20, { cancelled: true }),
    run('ci', 'never-started-final', -10, { final: true }),
    run('ci', 'a', 1),
  ];
  const result = queue(pool, runs);
  assert.equal(result.running, 2);
  assert.deepEqual(verdicts(result.admissions), { 'ci/a': 'PoolAtCapacity #1' });
  assert.equal(result.queued, 1);
  const freed = queue(
    pool,
    runs.map((r) => (r.name === 'going' ? { ...r, final: true } : r)),
  );
  assert.deepEqual(verdicts(freed.admissions), { 'ci/a': 'admitted' });
});

test('order: higher priority first, then fair between namespaces, then first come first served', () => {
  const pool = makePool({ spec: { maxConcurrentRuns: 1, allowedPriorities: { min: -1, max: 10 } } });
  const cases: { name: string; runs: RunState[]; want: string[] }[] = [
    {
      name: 'FIFO',
      runs: [run('ci', 'c', 3), run('ci', 'a', 1), run('ci', 'b', 2)],
      want: ['ci/a', 'ci/b', 'ci/c'],
    },
    {
      name: 'priority jumps the queue',
      runs: [
        run('ci', 'a', 1),
        run('ci', 'b', 2),
        run('ci', 'urgent', 9, { priority: 10 }),
        run('ci', 'low', 0, { priority: -1 }),
      ],
      want: ['ci/urgent', 'ci/a', 'ci/b', 'ci/low'],
    },
    {
      name: 'namespaces take turns',
      runs: [run('a', '1', 1), run('a', '2', 2), run('a', '3', 3), run('b', '1', 10), run('b', '2', 11)],
      want: ['a/1', 'b/1', 'a/2', 'b/2', 'a/3'],
    },
    {
      name: 'a namespace already running waits behind one that isn’t',
      runs: [holding('a', 'r1'), run('a', '1', 1), run('b', '1', 50)],
      want: ['b/1', 'a/1'],
    },
    {
      name: 'ties in time: namespace, then name',
      runs: [run('b', 'x', 1), run('a', 'y', 1), run('a', 'x', 1)],
      want: ['a/x', 'b/x', 'a/y'],
    },
  ];
  for (const c of cases) {
    const result = queue(pool, c.runs);
    const waitingOnly = order(result.admissions);
    assert.deepEqual(waitingOnly, c.want, c.name);
    // Positions count 1, 2, 3, ... behind the runs admitted now.
    const positions = waitingOnly.flatMap((k) => {
      const a = result.admissions.get(k);
      return a?.state === 'queued' ? [a.position] : [];
    });
    assert.deepEqual(
      positions,
      positions.map((_, i) => i + 1),
      c.name,
    );
    assert.equal(positions.length, result.queued, c.name);
  }
});

test('allowedPriorities: a run outside the range is refused, naming the range; unset allows only 0', () => {
  const refusal = (range: string, asks: number) => ({
    state: 'refused',
    reason: 'PriorityNotAllowed',
    message: `NodePool peasant admits spec.priority from ${range} (its spec.allowedPriorities${
      range === '0 to 0' ? ', unset: only 0' : ''
    }); this run asks for ${asks}`,
  });
  const runs = [
    run('a', 'zero', 1),
    run('a', 'jump', 2, { priority: 1000000 }),
    run('b', 'ten', 3, { priority: 10 }),
    run('b', 'eleven', 4, { priority: 11 }),
    run('c', 'low', 5, { priority: -5 }),
    run('c', 'lower', 6, { priority: -6 }),
  ];
  const cases: { name: string; allowed?: { min?: number; max?: number }; want: Record<string, string> }[] = [
    {
      name: 'unset: only 0',
      want: {
        'a/zero': 'admitted',
        'a/jump': 'PriorityNotAllowed',
        'b/ten': 'PriorityNotAllowed',
        'b/eleven': 'PriorityNotAllowed',
        'c/low': 'PriorityNotAllowed',
        'c/lower': 'PriorityNotAllowed',
      },
    },
    {
      name: '{max: 10}: 0 to 10',
      allowed: { max: 10 },
      want: {
        'b/ten': 'admitted',
        'a/zero': 'PoolAtCapacity #1',
        'a/jump': 'PriorityNotAllowed',
        'b/eleven': 'PriorityNotAllowed',
        'c/low': 'PriorityNotAllowed',
        'c/lower': 'PriorityNotAllowed',
      },
    },
    {
      name: '{min: -5, max: 11}: bounds included',
      allowed: { min: -5, max: 11 },
      want: {
        'b/eleven': 'admitted',
        'b/ten': 'PoolAtCapacity #1',
        'a/zero': 'PoolAtCapacity #2',
        'c/low': 'PoolAtCapacity #3',
        'a/jump': 'PriorityNotAllowed',
        'c/lower': 'PriorityNotAllowed',
      },
    },
    {
      name: 'the whole int32 range: nothing refused',
      allowed: { min: -2147483648, max: 2147483647 },
      want: {
        'a/jump': 'admitted',
        'b/eleven': 'PoolAtCapacity #1',
        'b/ten': 'PoolAtCapacity #2',
        'a/zero': 'PoolAtCapacity #3',
        'c/low': 'PoolAtCapacity #4',
        'c/lower': 'PoolAtCapacity #5',
      },
    },
  ];
  for (const c of cases) {
    const pool = makePool({
      spec: { maxConcurrentRuns: 1, ...(c.allowed ? { allowedPriorities: c.allowed } : {}) },
    });
    const result = queue(pool, runs);
    assert.deepEqual(verdicts(result.admissions), c.want, c.name);
    // Refused runs take no place in the queue.
    assert.equal(
      result.queued,
      Object.values(c.want).filter((v) => v.startsWith('PoolAtCapacity')).length,
      c.name,
    );
  }
  assert.deepEqual(queue(makePool(), runs).admissions.get('a/jump'), refusal('0 to 0', 1000000));
  const ranged = queue(makePool({ spec: { allowedPriorities: { min: -5, max: 11 } } }), runs);
  assert.deepEqual(ranged.admissions.get('c/lower'), refusal('-5 to 11', -6));
  // Started runs are never refused, whatever their priority: the range speaks to waiting runs.
  const started = queue(makePool(), [run('a', 'old', 1, { priority: 99, started: true })]);
  assert.equal(started.admissions.size, 0);
  assert.equal(started.running, 1);
});

test('within an allowed priority, namespaces still take turns', () => {
  const pool = makePool({ spec: { maxConcurrentRuns: 0, allowedPriorities: { max: 5 } } });
  const runs = [
    run('a', '1', 1, { priority: 5 }),
    run('a', '2', 2, { priority: 5 }),
    run('a', '3', 3, { priority: 5 }),
    run('b', '1', 10, { priority: 5 }),
    run('b', '0', 0),
  ];
  assert.deepEqual(order(queue(pool, runs).admissions), ['a/1', 'b/1', 'a/2', 'a/3', 'b/0']);
});

test('one namespace floods the queue with 20 runs: another’s 2 runs still come within the first few', () => {
  const flood = Array.from({ length: 20 }, (_, i) => run('flood', `r${String(i).padStart(2, '0')}`, i));
  const few = [run('few', 'x', 100), run('few', 'y', 101)];
  const result = queue(makePool({ spec: { maxConcurrentRuns: 2 } }), [...flood, ...few]);
  const sequence = order(result.admissions);
  assert.deepEqual(sequence.slice(0, 2), ['flood/r00', 'few/x'], 'admitted now: one of each');
  assert.equal(sequence.indexOf('few/y'), 3);
  const position = (key: string) => {
    const a = result.admissions.get(key);
    return a?.state === 'queued' ? a.position : undefined;
  };
  assert.equal(position('few/y'), 2);
  assert.equal(position('flood/r19'), 20, 'the last of all');
  assert.equal(result.queued, 20);
});

test('queueOrder alone: the running count per namespace is the head start', () => {
  const waiting = [run('a', '1', 1), run('a', '2', 2), run('b', '1', 3), run('b', '2', 4)];
  const names = (running: Map<string, number>) => queueOrder(waiting, running).map((r) => r.key);
  assert.deepEqual(names(new Map()), ['a/1', 'b/1', 'a/2', 'b/2']);
  assert.deepEqual(names(new Map([['a', 1]])), ['b/1', 'a/1', 'b/2', 'a/2']);
  assert.deepEqual(names(new Map([['a', 5]])), ['b/1', 'b/2', 'a/1', 'a/2']);
  assert.deepEqual(
    waiting.map((r) => r.key),
    ['a/1', 'a/2', 'b/1', 'b/2'],
    'the input is left alone',
  );
});
