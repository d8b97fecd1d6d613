// Records every runner pod event in some namespaces through a real watch, so tests can assert
// on history: how many pods were ever created for a run, how many ran at once.
import type { TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Pod } from '../../src/kube/json.ts';
import { kubeConfig } from './kube.ts';

export interface PodEvent {
  type: string;
  name: string;
  namespace: string;
  phase: string | undefined;
  deleting: boolean;
  at: number;
}

export class PodRecorder {
  readonly events: PodEvent[] = [];
  private readonly live = new Map<string, boolean>();
  private readonly created = new Set<string>();
  private peak = 0;
  private readonly controllers: AbortController[] = [];

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

  observe(type: string, pod: Pod): void {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? '';
    const key = `${namespace}/${name}`;
    const phase = pod.status?.phase;
    this.events.push({
      type,
      name,
      namespace,
      phase,
      deleting: Boolean(pod.metadata?.deletionTimestamp),
      at: Date.now(),
    });
    if (type === 'ADDED') this.created.add(key);
    const alive = type !== 'DELETED' && phase !== 'Succeeded' && phase !== 'Failed';
    if (alive) this.live.set(key, true);
    else this.live.delete(key);
    this.peak = Math.max(this.peak, this.live.size);
  }

  async start(namespaces: string[], labelSelector = 'app.kubernetes.io/managed-by=furrow'): Promise<void> {
    const watch = new k8s.Watch(kubeConfig());
    for (const ns of namespaces) {
      // watch() resolves once the API server has answered: from then on nothing is missed.
      const controller = await watch.watch(
        `/api/v1/namespaces/${ns}/pods`,
        { labelSelector },
        (type, obj) => this.observe(type, obj as Pod),
        () => undefined,
      );
      this.controllers.push(controller);
    }
  }

  stop(): void {
    for (const c of this.controllers) c.abort();
  }
}

export async function recordPods(t: TestContext, namespaces: string[]): Promise<PodRecorder> {
  const recorder = new PodRecorder();
  await recorder.start(namespaces);
  t.after(() => recorder.stop());
  return recorder;
}
