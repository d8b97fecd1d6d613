// The operator process's moving parts and their lifecycle: connection, caches, controllers,
// event wiring, resync. @dot-i/k8s-operator's Operator class provides the start() → init()
// lifecycle; its watch and status helpers are not used (docs/adr/0005-operator-framework.md).
import operatorFramework from '@dot-i/k8s-operator';
import { KubeClients, loadKubeConfig, type PooledKubeConfig } from './kube/client.ts';
import { Controller, type Reconcile } from './kube/controller.ts';
import { EventRecorder } from './kube/events.ts';
import { LeaderElector } from './kube/leader-election.ts';
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
import { finalPhases } from './resources/api.ts';

const OperatorBase = operatorFramework.default;

/**
 * Per-key backoff of failed reconciles: 5 ms doubling, as controller-runtime's, but capped at
 * a minute (not its 16 min) so an object that failed through an outage is retried soon after.
 */
const reconcileBackoff = { baseMs: 5, maxMs: 60_000, jitter: 0.1 };

export class FurrowOperator extends OperatorBase {
  readonly options: Options;
  readonly log: Logger;
  readonly metrics: Metrics;
  private kc: PooledKubeConfig | undefined;
  private caches: Caches | undefined;
  private queues: PoolQueues | undefined;
  private clients: KubeClients | undefined;
  private elector: LeaderElector | undefined;
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
    const clientOptions = {
      qps: options.kubeApiQps,
      burst: options.kubeApiBurst,
      timeoutMs: options.requestTimeoutMs,
    };
    // Reconcilers write through `clients`, which is fenced whenever this replica doesn't lead.
    // The caches list through their own client (a standby keeps its caches warm), and the
    // Lease through a third (renewals must never wait behind reconcile traffic).
    const clients = new KubeClients(kc, metrics, clientOptions);
    this.clients = clients;
    const cacheClients = new KubeClients(kc, metrics, clientOptions);
    // After an outage, keys may sit in long error backoffs and events may have been missed:
    // once a cache is back, look at everything again (at most once a second).
    let recovering: NodeJS.Timeout | undefined;
    const onRecovered = () => {
      recovering ??= setTimeout(() => {
        recovering = undefined;
        this.resync(true);
      }, 1000);
    };
    const caches = createCaches(
      kc,
      cacheClients,
      options.namespaces,
      options.poolSelector,
      log,
      metrics,
      onRecovered,
    );
    this.caches = caches;
    const recorder = new EventRecorder(
      clients.events,
      { controller: 'furrow.dev/operator', instance: options.instance },
      log,
    );

    const queues = new PoolQueues(caches, options.poolSelector !== '');
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
      new NodeReconciler({
        clients,
        nodes: caches.nodes,
        pools: caches.pools,
        scoped: options.poolSelector !== '',
      }).reconcile,
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
    this.resyncTimer = setInterval(() => this.resync(), options.resyncPeriodMs);
    this.resyncTimer.unref();

    if (!options.leaderElect) {
      this.startLeading();
      return;
    }
    clients.fence('this replica is not the leader');
    this.elector = new LeaderElector(
      new KubeClients(kc, metrics, clientOptions).coordination,
      {
        name: options.leaseName,
        namespace: options.leaseNamespace,
        identity: options.instance,
        leaseDurationMs: options.leaseDurationMs,
        renewDeadlineMs: options.renewDeadlineMs,
        retryPeriodMs: options.retryPeriodMs,
      },
      log,
      { onStartedLeading: () => this.startLeading(), onStoppedLeading: () => this.stopLeading() },
    );
    this.elector.start();
  }

  /** Reconciling starts: controllers run, and everything is looked at once. */
  private startLeading(): void {
    this.clients?.unfence();
    this.queues?.invalidateAll();
    for (const c of this.controllers) c.start();
    this.metrics.leader.set(1);
    this.resync(true);
  }

  /** At once: no new request leaves, no new reconcile starts; in-flight ones finish or fail. */
  private stopLeading(): void {
    this.clients?.fence('this replica lost the leader lease');
    this.metrics.leader.set(0);
    for (const c of this.controllers) void c.stop(this.options.shutdownTimeoutMs);
  }

  /**
   * Requeues every unfinished run (all runs, pools and nodes when `everything`): a safety net
   * for anything an event didn't cover, and the first look of a new leader.
   */
  private resync(everything = false): void {
    const [runs, nodes, pools] = this.controllers;
    const caches = this.caches;
    if (!runs || !nodes || !pools || !caches || !runs.isRunning()) return;
    for (const run of caches.runs.list()) {
      const phase = run.status?.phase;
      if (everything || !phase || !finalPhases.has(phase) || run.spec.ttlSecondsAfterFinished !== undefined) {
        runs.enqueue(objectKey(run));
      }
    }
    for (const pool of caches.pools.list()) pools.enqueue(pool.metadata.name ?? '');
    if (everything) for (const node of caches.nodes.list()) nodes.enqueue(node.metadata?.name ?? '');
  }

  /**
   * Stops taking work, waits for in-flight reconciles up to the deadline, releases the Lease,
   * closes connections.
   */
  async shutdown(deadlineMs: number): Promise<boolean> {
    clearInterval(this.resyncTimer);
    const results = await Promise.all(this.controllers.map((c) => c.stop(deadlineMs)));
    await this.elector?.stop();
    this.metrics.leader.set(0);
    if (this.caches) await stopCaches(this.caches);
    await this.kc?.closeConnections();
    super.stop();
    return results.every(Boolean);
  }
}
