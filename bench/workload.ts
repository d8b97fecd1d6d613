// What the benchmark creates: one-step PipelineRuns, and batch/v1 Jobs whose pod template is
// the very pod Furrow would build for such a run (same containers, security, placement and
// simulated run time), so both controllers schedule identical pods onto the same nodes.
import type * as k8s from '@kubernetes/client-node';
import { buildRunnerPod } from '../src/resources/runner-pod/build.ts';
import { group, version } from '../src/resources/names.ts';
import type { NodePool, PipelineRun } from '../src/resources/types.ts';
import { poolName, workNamespaces, type Clients } from './setup.ts';

export const scenarioLabel = 'furrow.dev/bench-scenario';
const image = 'busybox:1.37';

function runSpec() {
  return { pool: poolName, image, steps: [{ name: 'main', command: ['sh', '-c', 'sleep 1'] }] };
}

export function runManifest(
  name: string,
  namespace: string,
  scenario: string,
  simDuration: string,
): PipelineRun {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'PipelineRun',
    metadata: {
      name,
      namespace,
      labels: { [scenarioLabel]: scenario },
      annotations: { 'sim.furrow.dev/duration': simDuration },
    },
    spec: runSpec(),
  };
}

/** The pod template of an equivalent Job: Furrow's runner pod for the same one-step run. */
export function jobManifest(
  name: string,
  namespace: string,
  scenario: string,
  simDuration: string,
  pool: NodePool,
): k8s.V1Job {
  const pod = buildRunnerPod({
    run: {
      ...runManifest(name, namespace, scenario, simDuration),
      metadata: { name, namespace, uid: 'x', generation: 1 },
    },
    pool,
    attempt: 1,
    remainingMs: 3_600_000,
    gitImage: 'unused',
  });
  const labels = { [scenarioLabel]: scenario };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels, annotations: { 'sim.furrow.dev/duration': simDuration } },
        spec: pod.spec as k8s.V1PodSpec,
      },
    },
  };
}

export function benchPool(): NodePool {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'NodePool',
    metadata: { name: poolName },
    spec: { nodeSelector: { matchLabels: { 'furrow.dev/bench-node': 'true' } } },
  };
}

export type Kind = 'furrow' | 'job';

export interface Item {
  kind: Kind;
  namespace: string;
  name: string;
}

/** Names spread round-robin over the four work namespaces. */
export function items(kind: Kind, scenario: string, count: number, offset = 0): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    kind,
    namespace: workNamespaces[(offset + i) % workNamespaces.length] ?? 'bench-a',
    name: `${scenario}-${kind === 'furrow' ? 'r' : 'j'}${offset + i}`,
  }));
}

export async function create(
  c: Clients,
  item: Item,
  scenario: string,
  simDuration: string,
  pool: NodePool,
): Promise<void> {
  if (item.kind === 'furrow') {
    await c.custom.createNamespacedCustomObject({
      group,
      version,
      plural: 'pipelineruns',
      namespace: item.namespace,
      body: runManifest(item.name, item.namespace, scenario, simDuration),
    });
  } else {
    await c.batch.createNamespacedJob({
      namespace: item.namespace,
      body: jobManifest(item.name, item.namespace, scenario, simDuration, pool),
    });
  }
}

/** Creates all items as fast as one client can: `concurrency` requests in flight. */
export async function burst(
  list: Item[],
  concurrency: number,
  createOne: (item: Item) => Promise<void>,
  sent: (item: Item, at: number) => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const item = list[next++];
      if (!item) return;
      sent(item, performance.timeOrigin + performance.now());
      await createOne(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Creates items at `perSecond` for `seconds`, on a fixed schedule (late starts don't drift). */
export async function steady(
  list: Item[],
  perSecond: number,
  createOne: (item: Item) => Promise<void>,
  sent: (item: Item, at: number) => void,
): Promise<void> {
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < list.length; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const item = list[i];
    if (!item) continue;
    sent(item, performance.timeOrigin + performance.now());
    inFlight.push(createOne(item));
  }
  await Promise.all(inFlight);
}
