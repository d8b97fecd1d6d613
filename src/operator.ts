// The operator process's moving parts and their lifecycle: connection, caches, the list of
// controllers (each declared by its setup module in src/controllers/), leadership, resync. @dot-i/k8s-operator's Operator class provides the start() → init()
// lifecycle; its watch and status helpers are not used (docs/adr/0005-operator-framework.md).
import operatorFramework from '@dot-i/k8s-operator';
import { KubeClients, loadKubeConfig, type PooledKubeConfig } from './kube/client.ts';
import { Controller } from './kube/controller.ts';
import { EventRecorder } from './kube/k8s-events.ts';
import { LeaderElector, leaseApi } from './kube/leader-election.ts';
import type { Options } from './config/options.ts';
import {
  cachesSynced,
  createCaches,
  startCaches,
  stopCaches,
  waitForCaches,
  type Caches,
} from './informers.ts';
import type { LogStore } from './archive/log-store.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { PoolAdmission } from './admission/pool-admission.ts';
import { setupAdmission } from './controllers/admission.ts';
import { setupLogArchiveController } from './controllers/log-archive.ts';
import { setupNetworkPolicyController } from './controllers/network-policy.ts';
import { setupNodeController } from './controllers/node.ts';
import { setupNodePoolController } from './controllers/nodepool.ts';
import { setupPipelineRunController } from './controllers/pipelinerun.ts';
import { ControllerList, type SetupContext } from './controllers/setup.ts';

/** The controllers, in the order /readyz?verbose lists them. */
const controllerSetups = [
  setupPipelineRunController,
  setupNodeController,
  setupNodePoolController,
  setupLogArchiveController,
  setupNetworkPolicyController,
];

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
  private admission: PoolAdmission | undefined;
  private clients: KubeClients | undefined;
  private logClients: KubeClients | undefined;
  private elector: LeaderElector | undefined;
  private readonly controllers = new ControllerList();
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly logStore: LogStore | undefined;

  /** `logStore`: where logs are archived; none, and logs live as long as the pods. */
  constructor(options: Options, log: Logger, metrics: Metrics, logStore?: LogStore) {
    super({
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.error(m),
    });
    this.options = options;
    this.log = log;
    this.logStore = logStore;
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
        this.controllers.entries.map(({ name, controller: c }) => [
          name,
          { waiting: c.workQueue.length, active: c.workQueue.active },
        ]),
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
    // The log archive reads pods' logs through a client of its own (fenced like `clients`), so
    // its requests never take the rate budget that creates pods and writes status (ADR 12).
    const logClients = new KubeClients(kc, metrics, clientOptions);
    this.logClients = logClients;
    // After an outage, keys may sit in long error backoffs and notifications may have been missed:
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
      options.runnerNetworkPolicy,
    );
    this.caches = caches;
    const recorder = new EventRecorder(
      clients.events,
      { controller: 'furrow.dev/operator', instance: options.instance },
      log,
    );

    const admission = setupAdmission(caches, options.poolSelector !== '');
    this.admission = admission;
    const ctx: SetupContext = {
      options,
      caches,
      admission,
      clients,
      recorder,
      metrics,
      log,
      logStore: this.logStore,
      logClients,
      newController: (name, reconcile) =>
        new Controller({
          name,
          reconcile,
          workers: options.workers,
          backoff: reconcileBackoff,
          logger: log,
          metrics,
        }),
      controllers: this.controllers,
    };
    for (const setup of controllerSetups) this.controllers.add(setup(ctx));

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
    logClients.fence('this replica is not the leader');
    this.elector = new LeaderElector(
      leaseApi(new KubeClients(kc, metrics, clientOptions).coordination),
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
    this.logClients?.unfence();
    this.admission?.invalidateAll();
    for (const { controller } of this.controllers.entries) controller.start();
    this.metrics.leader.set(1);
    this.resync(true);
  }

  /** At once: no new request leaves, no new reconcile starts; in-flight ones finish or fail. */
  private stopLeading(): void {
    this.clients?.fence('this replica lost the leader lease');
    this.logClients?.fence('this replica lost the leader lease');
    this.metrics.leader.set(0);
    for (const entry of this.controllers.entries) {
      void entry.controller.stop(this.options.shutdownTimeoutMs);
      entry.stop?.();
    }
  }

  /**
   * Requeues every unfinished run (all runs, pools and nodes when `everything`): a safety net
   * for anything a notification didn't cover, and the first look of a new leader.
   */
  private resync(everything = false): void {
    const { entries } = this.controllers;
    if (entries.length === 0 || !entries.every((e) => e.controller.isRunning())) return;
    for (const entry of entries) entry.resync(everything);
  }

  /**
   * Stops taking work, waits for in-flight reconciles up to the deadline, releases the Lease,
   * closes connections.
   */
  async shutdown(deadlineMs: number): Promise<boolean> {
    clearInterval(this.resyncTimer);
    for (const entry of this.controllers.entries) entry.stop?.();
    const results = await Promise.all(
      this.controllers.entries.map(({ controller }) => controller.stop(deadlineMs)),
    );
    await this.elector?.stop();
    this.metrics.leader.set(0);
    if (this.caches) await stopCaches(this.caches);
    await this.kc?.closeConnections();
    super.stop();
    return results.every(Boolean);
  }
}
