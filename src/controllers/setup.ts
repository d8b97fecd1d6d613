// What a controller's setup module declares, and what it is given. Each controller has one
// (pipelinerun.ts, nodepool.ts, node.ts here; admission.ts for the pools' admission): the
// indexes it reads from the caches, which cache notifications map to which of its keys (as
// controller-runtime's For/Owns/Watches and Tekton's controller.go), what it enqueues into
// other controllers, and what a resync looks at. operator.ts builds the list and starts it.
import type { PoolAdmission } from '../admission/pool-admission.ts';
import type { Options } from '../config/options.ts';
import type { Caches } from '../informers.ts';
import type { Cache } from '../kube/cache.ts';
import type { KubeClients } from '../kube/client.ts';
import type { Controller, Reconcile } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/k8s-events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { LogStore } from '../archive/log-store.ts';
import type { NodePool } from '../resources/types.ts';

export type ControllerName = 'pipelinerun' | 'nodepool' | 'node' | 'log-archive' | 'network-policy';

/** Queues keys into a controller by name; valid once every setup has run. */
export interface Enqueuer {
  enqueue(controller: ControllerName, key: string): void;
  enqueueAfter(controller: ControllerName, key: string, delayMs: number): void;
}

export interface SetupContext {
  options: Options;
  caches: Caches;
  admission: PoolAdmission;
  /** The fenced clients: they refuse to write while this replica doesn't lead. */
  clients: KubeClients;
  recorder: EventRecorder;
  metrics: Metrics;
  log: Logger;
  /** The object store for logs; absent when none is configured (logs live with the pods). */
  logStore?: LogStore;
  /** Fenced like `clients`, with a rate budget of its own: the log archive's reads. */
  logClients?: KubeClients;
  /** Builds the controller loop (workers, backoff) around a reconcile. */
  newController(name: ControllerName, reconcile: Reconcile): Controller;
  controllers: Enqueuer;
}

export interface ControllerEntry {
  name: ControllerName;
  controller: Controller;
  /**
   * Queues what a periodic resync should look at (everything: all of it, the first look of a
   * new leader or after an outage).
   */
  resync(everything: boolean): void;
  /** Stops what the controller runs beside its loop (the log archiver's copies). */
  stop?(): void;
}

/** The controllers, by name. */
export class ControllerList implements Enqueuer {
  readonly entries: ControllerEntry[] = [];

  add(entry: ControllerEntry): void {
    if (this.entries.some((e) => e.name === entry.name))
      throw new Error(`controller ${entry.name} set up twice`);
    this.entries.push(entry);
  }

  get(name: ControllerName): Controller {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) throw new Error(`no controller ${name}`);
    return entry.controller;
  }

  enqueue(name: ControllerName, key: string): void {
    this.get(name).enqueue(key);
  }

  enqueueAfter(name: ControllerName, key: string, delayMs: number): void {
    this.get(name).enqueueAfter(key, delayMs);
  }
}

/**
 * Calls `handler` on a pool's creation, its deletion, and changes of its spec (generation) or
 * deletionTimestamp, but not on its status writes: a pool's status changes with every run it
 * starts or finishes, and reacting to those would requeue every run and node of the pool at
 * each one. Each caller keeps its own record of the shapes seen.
 */
export function onPoolShapeChange(pools: Cache<NodePool>, handler: (pool: NodePool) => void): void {
  const seen = new Map<string, string>();
  const notify = (pool: NodePool, gone: boolean) => {
    const name = pool.metadata.name ?? '';
    const shape = gone
      ? 'deleted'
      : `${pool.metadata.generation ?? 0}/${pool.metadata.deletionTimestamp ?? ''}`;
    if (seen.get(name) === shape) return;
    if (gone) seen.delete(name);
    else seen.set(name, shape);
    handler(pool);
  };
  pools.on({
    add: (p) => notify(p, false),
    update: (p) => notify(p, false),
    delete: (p) => notify(p, true),
  });
}
