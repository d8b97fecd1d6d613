// In-memory fakes of the reconcilers' writer interfaces (src/reconcilers/writers.ts): each
// call is recorded as a line, and what the fake API server answers can be set per method.
// And a PipelineRun reconciler wired to one.
import type { Pod } from '../../src/kube/json.ts';
import type {
  NodePoolWriter,
  NodeWriter,
  PipelineRunWriter,
  PodCreate,
  StatusWrite,
} from '../../src/reconcilers/writers.ts';
import type { PipelineRun } from '../../src/resources/types.ts';
import { controllingRunUid, podsByRunUid } from '../../src/indexes.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { PipelineRunReconciler, type PipelineRunReconcilerDeps } from '../../src/reconcilers/pipelinerun.ts';
import { makePool, planConfig } from './builders.ts';
import { MemoryCache } from './memory-cache.ts';

export class FakePipelineRunWriter implements PipelineRunWriter {
  readonly calls: string[] = [];
  createResult: (pod: Pod) => PodCreate = (pod) => ({ created: pod });
  statusResult: (run: PipelineRun, status: Record<string, unknown>) => StatusWrite<PipelineRun> = (
    run,
    status,
  ) => ({
    written: { ...run, metadata: { ...run.metadata }, status },
  });
  pods = new Map<string, Pod>();

  createPod(_namespace: string, pod: Pod): Promise<PodCreate> {
    this.calls.push(`create pod ${pod.metadata?.name ?? ''}`);
    return Promise.resolve().then(() => this.createResult(pod));
  }
  readPod(namespace: string, name: string): Promise<Pod> {
    this.calls.push(`read pod ${name}`);
    const pod = this.pods.get(`${namespace}/${name}`);
    return pod ? Promise.resolve(pod) : Promise.reject(new Error(`no pod ${name}`));
  }
  deletePod(pod: { name: string }): Promise<boolean> {
    this.calls.push(`delete pod ${pod.name}`);
    return Promise.resolve(true);
  }
  patchStatus(run: PipelineRun, status: Record<string, unknown>): Promise<StatusWrite<PipelineRun>> {
    this.calls.push(`write status ${typeof status.phase === 'string' ? status.phase : ''}`);
    return Promise.resolve().then(() => this.statusResult(run, status));
  }
  deleteRun(run: PipelineRun): Promise<boolean> {
    this.calls.push(`delete run ${run.metadata.name ?? ''}`);
    return Promise.resolve(true);
  }
}

export class FakeNodePoolWriter implements NodePoolWriter {
  readonly calls: string[] = [];
  readonly statuses: unknown[] = [];
  statusResult: StatusWrite<true> = { written: true };

  patchMetadata(name: string, metadata: { finalizers: string[] }): Promise<void> {
    this.calls.push(`patch ${name} finalizers=[${metadata.finalizers.join(',')}]`);
    return Promise.resolve();
  }
  patchStatus(name: string, _rv: string | undefined, status: unknown): Promise<StatusWrite<true>> {
    this.calls.push(`write status ${name}`);
    this.statuses.push(status);
    return Promise.resolve(this.statusResult);
  }
}

export class FakeNodeWriter implements NodeWriter {
  readonly patches: { name: string; patch: object }[] = [];
  result: StatusWrite<true> = { written: true };

  patchNode(name: string, patch: object): Promise<StatusWrite<true>> {
    this.patches.push({ name, patch });
    return Promise.resolve(this.result);
  }
}

/** A PipelineRun reconciler over in-memory caches (the pods cache indexed), admitting every run. */
export function pipelineRunReconciler(o: {
  writer: PipelineRunWriter;
  runs?: PipelineRun[];
  pods?: Pod[];
  now: number;
  admission?: Partial<PipelineRunReconcilerDeps['admission']>;
  recorder?: PipelineRunReconcilerDeps['recorder'];
}): { reconcile: (key: string) => ReturnType<PipelineRunReconciler['reconcile']> } {
  const pods = new MemoryCache(o.pods);
  pods.addIndex(podsByRunUid, controllingRunUid);
  const reconciler = new PipelineRunReconciler({
    writer: o.writer,
    runs: new MemoryCache(o.runs),
    pods,
    pools: new MemoryCache([makePool()]),
    admission: {
      admission: () => ({ state: 'admitted' }),
      reserve: () => undefined,
      release: () => undefined,
      ...o.admission,
    },
    recorder: o.recorder ?? { record: () => undefined },
    config: planConfig,
    metrics: new Metrics(),
    clock: () => o.now,
  });
  return { reconcile: (key) => reconciler.reconcile(key, { log: silentLogger(), retries: 0 }) };
}
