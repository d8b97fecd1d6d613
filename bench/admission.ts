// `node bench/admission.ts`: what one admission decision costs when the queue knows capacity.
// A pool of 100 ready nodes (8 cpu, 32Gi, 110 pods; each already running a DaemonSet pod and
// some runner pods) and 5,000 queued runs from 20 namespaces at 3 priorities. Each sample is
// what the operator does when the queue is stale: the nodes' room from their bound pods, then
// the whole queue computed. Reported beside the count-only queue (no capacity) on the same
// input. Pure CPU, no cluster: run it alone on a quiet machine.
import { parseArgs } from 'node:util';
import type { Node } from '../src/kube/json.ts';
import { nodeRoom, type Amounts } from '../src/resources/nodepool/capacity.ts';
import { computeQueue, type QueueInput, type RunState } from '../src/resources/nodepool/queue.ts';
import type { NodePool } from '../src/resources/types.ts';
import { percentile, round } from './stats.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5000' },
    samples: { type: 'string', default: '200' },
  },
});
const nodeCount = Number(values.nodes);
const runCount = Number(values.runs);
const samples = Number(values.samples);

const requests = (cpuMillis: number, memoryBytes: number): Amounts =>
  new Map([
    ['cpu', cpuMillis],
    ['memory', memoryBytes],
    ['pods', 1],
  ]);
const gi = 2 ** 30;

const nodes: Node[] = Array.from({ length: nodeCount }, (_, i) => ({
  metadata: { name: `peasant-${String(i).padStart(3, '0')}` },
  status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' } },
}));
// What is bound to each node: a DaemonSet pod, and 0 to 2 runner pods of 2 cpu / 4Gi.
const bound = nodes.map((_, i) => [
  requests(100, gi / 8),
  ...Array.from({ length: i % 3 }, () => requests(2000, 4 * gi)),
]);

const runs: RunState[] = Array.from({ length: runCount }, (_, i) => ({
  key: `team-${i % 20}/run-${i}`,
  namespace: `team-${i % 20}`,
  name: `run-${i}`,
  priority: (i % 3) * 10,
  created: 1_700_000_000_000 + i * 10,
  started: false,
  final: false,
  cancelled: false,
}));
const runRequests = (run: { name: string }) =>
  Number(run.name.slice(4)) % 7 === 0 ? requests(4000, 8 * gi) : requests(2000, 4 * gi);

const pool = {
  apiVersion: 'furrow.dev/v1alpha1',
  kind: 'NodePool',
  metadata: { name: 'peasant' },
  spec: {
    nodeSelector: { matchLabels: { 'furrow.dev/class': 'peasant' } },
    allowedPriorities: { max: 20 },
  },
} as NodePool;

function input(withCapacity: boolean): QueueInput {
  const base: QueueInput = {
    poolName: 'peasant',
    pool,
    readyNodes: nodeCount,
    nodeSlots: nodeCount * 110,
    runs,
    namespaceAllowed: () => true,
  };
  if (!withCapacity) return base;
  const rooms = nodes.map((n, i) => nodeRoom(n, bound[i] ?? []));
  return {
    ...base,
    capacity: {
      ready: rooms,
      members: rooms,
      requestsOf: runRequests,
      unbound: [],
      runnersPerNode: new Map(),
    },
  };
}

function measure(withCapacity: boolean): { p50: number; p99: number; admitted: number } {
  const times: number[] = [];
  let admitted = 0;
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const result = computeQueue(input(withCapacity));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    admitted = runCount - result.queued;
  }
  return { p50: round(percentile(times, 50)) ?? 0, p99: round(percentile(times, 99)) ?? 0, admitted };
}

measure(true); // warm-up: the first samples compile the code
const counted = measure(false);
const capacity = measure(true);
console.log(`admission decision: ${nodeCount} ready nodes, ${runCount} queued runs, ${samples} samples`);
console.log(`| Queue | p50 | p99 | Runs admitted |`);
console.log(`| --- | --- | --- | --- |`);
console.log(`| count-only (no capacity) | ${counted.p50} ms | ${counted.p99} ms | ${counted.admitted} |`);
console.log(`| knows capacity | ${capacity.p50} ms | ${capacity.p99} ms | ${capacity.admitted} |`);
