// A Furrow test environment: a namespace, kwok nodes of its own, a NodePool that selects only
// those nodes, and an operator process reconciling only that namespace. Tests built on it
// can't see or disturb each other's pools, nodes or runs.
import type { TestContext } from 'node:test';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { group, nodePoolNames, pipelineRunNames, version } from '../../src/resources/names.ts';
import type { NodePool, NodePoolSpec, PipelineRun, PipelineRunSpec } from '../../src/resources/types.ts';
import type { Pod } from '../../src/kube/json.ts';
import { installCrds } from './furrow.ts';
import { core, custom, statusCode, suffix, testNamespace, waitFor, type WaitOptions } from './kube.ts';
import { createKwokNode } from './nodes.ts';
import { startOperator, type OperatorOptions, type OperatorProcess } from './operator.ts';

export interface EnvOptions {
  /** kwok nodes for the pool (default 2). */
  nodes?: number;
  /** Their CPU cores (default 8). */
  nodeCpu?: string;
  /** Further resources of those nodes (extended resources: nvidia.com/gpu). */
  nodeResources?: Record<string, string>;
  /** Pool fields beyond its nodeSelector. */
  pool?: Partial<NodePoolSpec>;
  /** Create the pool (default true). */
  createPool?: boolean;
  /** Start an operator for the namespace (default true). */
  operator?: boolean | OperatorOptions;
}

export interface RunOptions {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  namespace?: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class FurrowEnv {
  readonly id = suffix();
  readonly t: TestContext;
  namespace = '';
  readonly poolName: string;
  readonly nodeLabel: Record<string, string>;
  nodeNames: string[] = [];
  operator: OperatorProcess | undefined;

  constructor(t: TestContext) {
    this.t = t;
    this.poolName = `e2e-pool-${this.id}`;
    this.nodeLabel = { 'e2e.furrow.dev/env': this.id };
  }

  poolSpec(extra: Partial<NodePoolSpec> = {}): NodePoolSpec {
    return { nodeSelector: { matchLabels: this.nodeLabel }, ...extra };
  }

  /** Creates the environment's pool, or another one (`name`, with a nodeSelector in `extra`). */
  async createPool(extra: Partial<NodePoolSpec> = {}, name = this.poolName): Promise<void> {
    await custom().createClusterCustomObject({
      group,
      version,
      plural: nodePoolNames.plural,
      body: {
        apiVersion: `${group}/${version}`,
        kind: 'NodePool',
        metadata: { name },
        spec: this.poolSpec(extra),
      },
    });
  }

  async pool(): Promise<NodePool> {
    return (await custom().getClusterCustomObject({
      group,
      version,
      plural: nodePoolNames.plural,
      name: this.poolName,
    })) as NodePool;
  }

  async patchPool(spec: Partial<NodePoolSpec>): Promise<void> {
    await custom().patchClusterCustomObject(
      { group, version, plural: nodePoolNames.plural, name: this.poolName, body: { spec } },
      mergePatch,
    );
  }

  async deletePool(): Promise<void> {
    try {
      await custom().deleteClusterCustomObject({
        group,
        version,
        plural: nodePoolNames.plural,
        name: this.poolName,
      });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  async startOperator(options: OperatorOptions = {}): Promise<OperatorProcess> {
    this.operator = await startOperator(this.t, { namespaces: [this.namespace], name: this.id, ...options });
    return this.operator;
  }

  async createRun(
    name: string,
    spec: Omit<PipelineRunSpec, 'pool'> & { pool?: string },
    options: RunOptions = {},
  ): Promise<PipelineRun> {
    const body = {
      apiVersion: `${group}/${version}`,
      kind: 'PipelineRun',
      metadata: { name, annotations: options.annotations, labels: options.labels },
      spec: { pool: this.poolName, ...spec },
    };
    return (await custom().createNamespacedCustomObject({
      group,
      version,
      plural: pipelineRunNames.plural,
      namespace: options.namespace ?? this.namespace,
      body,
    })) as PipelineRun;
  }

  async run(name: string, namespace = this.namespace): Promise<PipelineRun> {
    return (await custom().getNamespacedCustomObject({
      group,
      version,
      plural: pipelineRunNames.plural,
      namespace,
      name,
    })) as PipelineRun;
  }

  async patchRun(name: string, body: object, namespace = this.namespace): Promise<void> {
    await custom().patchNamespacedCustomObject(
      { group, version, plural: pipelineRunNames.plural, namespace, name, body },
      mergePatch,
    );
  }

  async deleteRun(name: string, namespace = this.namespace): Promise<void> {
    await custom().deleteNamespacedCustomObject({
      group,
      version,
      plural: pipelineRunNames.plural,
      namespace,
      name,
    });
  }

  /** Waits until the run satisfies `done`; the message names what was awaited and the last status. */
  async waitForRun(
    name: string,
    what: string,
    done: (run: PipelineRun) => boolean,
    options: WaitOptions & { namespace?: string } = {},
  ): Promise<PipelineRun> {
    let last: PipelineRun | undefined;
    try {
      return await waitFor(
        `${name} ${what}`,
        async () => {
          last = await this.run(name, options.namespace);
          return done(last) ? last : undefined;
        },
        { timeoutMs: 60_000, ...options },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`, {
        cause: err,
      });
    }
  }

  waitForPhase(
    name: string,
    phase: string,
    options: WaitOptions & { namespace?: string } = {},
  ): Promise<PipelineRun> {
    return this.waitForRun(name, `to be ${phase}`, (r) => r.status?.phase === phase, options);
  }

  async pods(namespace = this.namespace): Promise<Pod[]> {
    return (await core().listNamespacedPod({ namespace })).items as unknown as Pod[];
  }

  async podOf(name: string, namespace = this.namespace): Promise<Pod | undefined> {
    try {
      return (await core().readNamespacedPod({ name, namespace })) as unknown as Pod;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }
}

/**
 * Deletes a pool, giving the operator 10 s to release its nodes and lift its finalizer, then
 * lifting the finalizer by hand.
 */
export async function removePool(name: string): Promise<void> {
  const target = { group, version, plural: nodePoolNames.plural, name };
  try {
    await custom().deleteClusterCustomObject(target);
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
  const gone = await waitFor(
    'pool to go',
    async () =>
      (await custom()
        .getClusterCustomObject(target)
        .catch(() => undefined)) === undefined,
    { timeoutMs: 10_000 },
  ).catch(() => false);
  if (!gone) {
    await custom()
      .patchClusterCustomObject({ ...target, body: { metadata: { finalizers: null } } }, mergePatch)
      .catch(() => undefined);
  }
}

/**
 * Sets up an environment and registers its teardown: runs go with the namespace, the pool is
 * deleted while the operator can still release its nodes (its finalizer is lifted by hand if
 * not), then the nodes go.
 */
export async function furrowEnv(t: TestContext, options: EnvOptions = {}): Promise<FurrowEnv> {
  await installCrds();
  const env = new FurrowEnv(t);
  t.after(() => removePool(env.poolName));
  env.namespace = await testNamespace(t, 'furrow');
  const nodes = options.nodes ?? 2;
  for (let i = 0; i < nodes; i++) {
    const name = `e2e-${env.id}-${i}`;
    await createKwokNode(t, name, {
      labels: { ...env.nodeLabel, 'furrow.dev/class': 'peasant' },
      ...(options.nodeCpu ? { cpu: options.nodeCpu } : {}),
      ...(options.nodeResources ? { resources: options.nodeResources } : {}),
    });
    env.nodeNames.push(name);
  }
  if (options.createPool !== false) await env.createPool(options.pool);
  if (options.operator !== false)
    await env.startOperator(typeof options.operator === 'object' ? options.operator : {});
  return env;
}

/** Steps that run a shell command on a real node, with matching kwok annotations. */
export function sim(duration: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'sim.furrow.dev/duration': duration, ...extra };
}
