// The operator process's moving parts and their lifecycle: connection, caches, controllers,
// event wiring, resync. @dot-i/k8s-operator's Operator class provides the start() → init()
// lifecycle; its watch and status helpers are not used (docs/adr/0005-operator-framework.md).
import operatorFramework from '@dot-i/k8s-operator';
import { KubeClients, loadKubeConfig, type PooledKubeConfig } from './kube/client.ts';
import { Controller, type Reconcile } from './kube/controller.ts';
import { EventRecorder } from './kube/events.ts';
import { objectKey } from './kube/json.ts';
import type { Options } from './config/options.ts';
import {
  cachesSynced,
  createCaches,
  startCaches,
  stopCaches,
  waitForCaches,
  type Caches,
} from './informers.ts';
import { wireEvents } from './events-wiring.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import { NodeReconciler } from './reconcilers/node.ts';
import { NodePoolReconciler } from './reconcilers/nodepool.ts';
import { PipelineRunReconciler } from './reconcilers/pipelinerun.ts';
import { PoolQueues } from './reconcilers/pool-queues.ts';
import { finalPhases } from './resources/pipelinerun/plan.ts';

const OperatorBase = operatorFramework.default;

/** Per-key backoff of failed reconciles, as controller-runtime's default: 5 ms doubling to 5 min. */
const reconcileBackoff = { baseMs: 5, maxMs: 300_000, jitter: 0.1 };

export class FurrowOperator extends OperatorBase {
  readonly options: Options;
  readonly log: Logger;
  readonly metrics: Metrics;
  private kc: PooledKubeConfig | undefined;
  private caches: Caches | undefined;
  private queues: PoolQueues | undefined;
  private controllers: Controller[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: Options, log: Logger, metrics: Metrics) {
    super({
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    });
    this.options = options;
    this.log = log;
    this.metrics = metrics;
  }

  /** Caches are filled and reconciling may begin (readiness). */
  ready(): boolean {
    return this.caches !== undefined && cachesSynced(this.caches);
  }

  /** For /readyz?verbose: what each part is doing. */
  details(): Record<string, unknown> {
    return {
      caches: this.caches
        ? Object.fromEntries(
            Object.entries(this.caches).map(([k, c]: [string, { hasSynced(): boolean }]) => [
              k,
              c.hasSynced(),
            ]),
          )
        : 'not started',
      queues: Object.fromEntries(
        this.controllers.map((c) => [c.name, { waiting: c.queue.length, active: c.queue.active }]),
      ),
    };
  }

  protected override async init(): Promise<void> {
    const { options, log, metrics } = this;
    const kc = loadKubeConfig(options.kubeconfig);
    this.kc = kc;
    const clients = new KubeClients(kc, metrics, {
      qps: options.kubeApiQps,
      burst: options.kubeApiBurst,
      timeoutMs: options.requestTimeoutMs,
    });
    const caches = createCaches(kc, clients, options.namespaces, log, metrics);
    this.caches = caches;
    const recorder = new EventRecorder(
      clients.events,
      { controller: 'furrow.dev/operator', instance: options.instance },
      log,
    );

    const queues = new PoolQueues(caches);
    this.queues = queues;
    const controller = (name: string, reconcile: Reconcile) =>
      new Controller({
        name,
        reconcile,
        workers: options.workers,
        backoff: reconcileBackoff,
        logger: log,
        metrics,
      });

    const runs = controller(
      'pipelinerun',
      new PipelineRunReconciler({
        clients,
        runs: caches.runs,
        pods: caches.pods,
        pools: caches.pools,
        queues,
        recorder,
        metrics,
        config: {
          defaultTtlSeconds: options.defaultTtlSeconds,
          defaultPendingTimeoutMs: options.defaultPendingTimeoutMs,
          maxInfrastructureRetries: options.maxInfrastructureRetries,
          gitImage: options.gitImage,
        },
      }).reconcile,
    );
    const nodes = controller(
      'node',
      new NodeReconciler({ clients, nodes: caches.nodes, pools: caches.pools }).reconcile,
    );
    const pools = controller(
      'nodepool',
      new NodePoolReconciler({
        clients,
        pools: caches.pools,
        nodes: caches.nodes,
        runs: caches.runs,
        queues,
        recorder,
        metrics,
        enqueueRun: (key) => runs.enqueue(key),
        enqueueNode: (name) => nodes.enqueue(name),
      }).reconcile,
    );
    this.controllers = [runs, nodes, pools];
    wireEvents(caches, queues, { runs, nodes, pools });

    metrics.runPhaseCounts = () => {
      const counts: Record<string, number> = {};
      for (const run of caches.runs.list()) {
        const phase = run.status?.phase ?? 'New';
        counts[phase] = (counts[phase] ?? 0) + 1;
      }
      return counts;
    };

    startCaches(caches);
    await waitForCaches(caches);
    log.info('caches synced', {
      pipelineRuns: caches.runs.list().length,
      pods: caches.pods.list().length,
      pools: caches.pools.list().length,
    });
    for (const c of this.controllers) c.start();
    this.resyncTimer = setInterval(() => this.resync(), options.resyncPeriodMs);
    this.resyncTimer.unref();
  }

  /** Requeues every unfinished run: a safety net for anything an event didn't cover. */
  private resync(): void {
    const [runs] = this.controllers;
    if (!runs || !this.caches) return;
    for (const run of this.caches.runs.list()) {
      const phase = run.status?.phase;
      if (!phase || !finalPhases.has(phase) || run.spec.ttlSecondsAfterFinished !== undefined)
        runs.enqueue(objectKey(run));
    }
  }

  /** Stops taking work, waits for in-flight reconciles up to the deadline, closes connections. */
  async shutdown(deadlineMs: number): Promise<boolean> {
    clearInterval(this.resyncTimer);
    const results = await Promise.all(this.controllers.map((c) => c.stop(deadlineMs)));
    if (this.caches) await stopCaches(this.caches);
    await this.kc?.closeConnections();
    super.stop();
    return results.every(Boolean);
  }
}
