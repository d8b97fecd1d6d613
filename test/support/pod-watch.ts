// Records every runner pod event in some namespaces through a real watch, so tests can assert
// on history: how many pods were ever created for a run, how many ran at once, on which nodes.
// The watch resumes after API server restarts and lists again after 410 Gone (./watch.ts).
import type { TestContext } from 'node:test';
import type { Pod } from '../../src/kube/json.ts';
import { core } from './kube.ts';
import { ResilientWatch } from './watch.ts';

export interface PodEvent {
  type: string;
  name: string;
  namespace: string;
  phase: string | undefined;
  deleting: boolean;
  at: number;
  uid: string;
  nodeName: string | undefined;
  /** Inferred from a list after the watch lost its place (410 Gone), not seen as it happened. */
  relisted: boolean;
}

export class PodRecorder {
  readonly events: PodEvent[] = [];
  private readonly live = new Map<string, boolean>();
  private readonly created = new Set<string>();
  private readonly uids = new Map<string, Set<string>>();
  private readonly nodes = new Map<string, string>();
  private peak = 0;
  private readonly watches: ResilientWatch<Pod>[] = [];

  /** Every pod name ever seen (namespace/name). */
  createdPods(): string[] {
    return [...this.created];
  }

  /** The most runner pods that were alive (not finished) at the same moment. */
  maxConcurrent(): number {
    return this.peak;
  }

  /** Names of pods in the order they were first seen. */
  order(): string[] {
    return [...this.created].map((k) => k.split('/')[1] ?? k);
  }

  /** Pod names (namespace/name) that were ever held by more than one pod (uid). */
  reusedNames(): string[] {
    return [...this.uids].filter(([, uids]) => uids.size > 1).map(([key]) => key);
  }

  /** The node each pod was bound to (namespace/name → node), for pods that got one. */
  placements(): Map<string, string> {
    return new Map(this.nodes);
  }

  /** Watches that resumed after a dropped connection, and lists after 410 Gone. */
  watchRecoveries(): { resumes: number; relists: number } {
    return {
      resumes: this.watches.reduce((n, w) => n + w.resumes, 0),
      relists: this.watches.reduce((n, w) => n + w.relists, 0),
    };
  }

  observe(type: string, pod: Pod, relisted = false): void {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const key = `${namespace}/${name}`;
    const phase = pod.status?.phase;
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName;
    this.events.push({
      type,
      name,
      namespace,
      phase,
      deleting: Boolean(pod.metadata?.deletionTimestamp),
      at: Date.now(),
      uid,
      nodeName,
      relisted,
    });
    if (type === 'ADDED') this.created.add(key);
    if (uid) {
      const known = this.uids.get(key) ?? new Set<string>();
      known.add(uid);
      this.uids.set(key, known);
    }
    if (nodeName) this.nodes.set(key, nodeName);
    const alive = type !== 'DELETED' && phase !== 'Succeeded' && phase !== 'Failed';
    if (alive) this.live.set(key, true);
    else this.live.delete(key);
    this.peak = Math.max(this.peak, this.live.size);
  }

  async start(namespaces: string[], labelSelector = 'app.kubernetes.io/managed-by=furrow'): Promise<void> {
    for (const ns of namespaces) {
      const watch = new ResilientWatch<Pod>({
        path: `/api/v1/namespaces/${ns}/pods`,
        labelSelector,
        list: () => core().listNamespacedPod({ namespace: ns, labelSelector }),
        onEvent: (type, pod, relisted) => this.observe(type, pod, relisted),
      });
      // start() resolves once the API server has answered the watch: from then on nothing is missed.
      await watch.start();
      this.watches.push(watch);
    }
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }
}

export async function recordPods(t: TestContext, namespaces: string[]): Promise<PodRecorder> {
  const recorder = new PodRecorder();
  await recorder.start(namespaces);
  t.after(() => recorder.stop());
  return recorder;
}
