// Watches runs, Jobs and their pods with the local receive time of every event:
// creationTimestamp has one-second resolution, the watch gives milliseconds.
import * as k8s from '@kubernetes/client-node';
import { scenarioLabel, type Item } from './workload.ts';

export interface Timeline {
  sentAt?: number;
  podSeenAt?: number;
  podFinishedAt?: number;
  finalAt?: number;
  outcome?: string;
}

const now = () => performance.timeOrigin + performance.now();
const finalPhases = new Set(['Succeeded', 'Failed', 'Cancelled', 'TimedOut']);

interface Obj {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export class Recorder {
  readonly timelines = new Map<string, Timeline>();
  private readonly aborts: AbortController[] = [];
  private readonly kc: k8s.KubeConfig;
  private readonly scenario: string;
  /** Watches that ended and were started again (logged, and kept in the results JSON). */
  rewatches = 0;
  /** How many items have reached a final state so far. */
  finals = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(kc: k8s.KubeConfig, scenario: string) {
    this.kc = kc;
    this.scenario = scenario;
  }

  private timeline(key: string): Timeline {
    let t = this.timelines.get(key);
    if (!t) this.timelines.set(key, (t = {}));
    return t;
  }

  sent(item: Item, at: number): void {
    this.timeline(`${item.namespace}/${item.name}`).sentAt = at;
  }

  async start(): Promise<void> {
    const watch = new k8s.Watch(this.kc);
    const selector = { labelSelector: `${scenarioLabel}=${this.scenario}` };
    // A watch the server or the connection ends is started again from the last event seen
    // (or from now, if that is too old): a missed event must not leave a timeline unfinished.
    const on = async (path: string, handle: (type: string, obj: Obj, at: number) => void) => {
      let resourceVersion: string | undefined;
      const abort = new AbortController();
      const begin = async (): Promise<void> => {
        const request = await watch
          .watch(
            path,
            { ...selector, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
            (type, obj) => {
              resourceVersion = (obj as Obj).metadata?.resourceVersion ?? resourceVersion;
              // 410 Gone: start over without a version, which replays every object as ADDED.
              if (type === 'ERROR') resourceVersion = undefined;
              else if (type !== 'BOOKMARK') handle(type, obj as Obj, now());
            },
            () => {
              if (abort.signal.aborted) return;
              this.rewatches++;
              setTimeout(() => void begin(), 200);
            },
          )
          .catch(() => {
            if (!abort.signal.aborted) setTimeout(() => void begin(), 1000);
            return undefined;
          });
        if (request) abort.signal.addEventListener('abort', () => request.abort(), { once: true });
      };
      await begin();
      return abort;
    };
    this.aborts.push(
      await on('/apis/furrow.dev/v1alpha1/pipelineruns', (_type, run, at) => {
        const phase = run.status?.phase;
        if (phase && finalPhases.has(phase))
          this.final(`${run.metadata?.namespace ?? ''}/${run.metadata?.name ?? ''}`, phase, at);
      }),
      await on('/apis/batch/v1/jobs', (_type, job, at) => {
        const done = job.status?.conditions?.find(
          (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
        );
        if (done)
          this.final(
            `${job.metadata?.namespace ?? ''}/${job.metadata?.name ?? ''}`,
            done.type === 'Complete' ? 'Succeeded' : 'Failed',
            at,
          );
      }),
      await on('/api/v1/pods', (_type, pod, at) => {
        const owner = pod.metadata?.ownerReferences?.find(
          (o) => o.kind === 'PipelineRun' || o.kind === 'Job',
        );
        if (!owner) return;
        const t = this.timeline(`${pod.metadata?.namespace ?? ''}/${owner.name}`);
        // The first event of any type: after a re-watch, ADDED may have been missed.
        t.podSeenAt ??= at;
        const phase = pod.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') t.podFinishedAt ??= at;
      }),
    );
  }

  private final(key: string, outcome: string, at: number): void {
    const t = this.timeline(key);
    if (t.finalAt !== undefined) return;
    t.finalAt = at;
    t.outcome = outcome;
    this.finals++;
    this.waiters = this.waiters.filter((w) => {
      if (this.finals < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Resolves true when `count` items have reached a final state, or false after `timeoutMs`:
   * a side that doesn't finish in its window is a result to report, not a reason to stop.
   */
  async allFinal(count: number, timeoutMs: number): Promise<boolean> {
    if (this.finals >= count) return true;
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<boolean>((resolve) => this.waiters.push({ count, resolve: () => resolve(true) })),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  stop(): void {
    for (const a of this.aborts) a.abort();
  }
}
