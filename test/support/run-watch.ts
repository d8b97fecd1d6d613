// Records every version of the PipelineRuns of some namespaces through a real watch (resuming
// after API server restarts, listing again after 410 Gone), so tests can assert on history: a
// run that reached a final phase never left it or finished twice.
import type { TestContext } from 'node:test';
import { group, pipelineRunNames, version } from '../../src/resources/names.ts';
import { finalPhases } from '../../src/resources/api.ts';
import type { PipelineRun, PipelineRunPhase } from '../../src/resources/types.ts';
import { custom } from './kube.ts';
import { ResilientWatch } from './watch.ts';

export interface RunVersion {
  type: string;
  resourceVersion: string;
  generation: number | undefined;
  phase: PipelineRunPhase | undefined;
  reason: string | undefined;
  attempt: number | undefined;
  completionTime: string | undefined;
  at: number;
}

export class RunRecorder {
  /** Every version seen, by namespace/name, oldest first. */
  readonly history = new Map<string, RunVersion[]>();
  private readonly watches: ResilientWatch<PipelineRun>[] = [];

  observe(type: string, run: PipelineRun): void {
    const key = `${run.metadata.namespace ?? ''}/${run.metadata.name ?? ''}`;
    const versions = this.history.get(key) ?? [];
    versions.push({
      type,
      resourceVersion: run.metadata.resourceVersion ?? '',
      generation: run.metadata.generation,
      phase: run.status?.phase,
      reason: run.status?.reason,
      attempt: run.status?.attempt,
      completionTime: run.status?.completionTime,
      at: Date.now(),
    });
    this.history.set(key, versions);
  }

  /**
   * Runs whose history breaks "finished exactly once": after the first final phase, a later
   * version shows another phase, reason or completion time. One line per problem.
   */
  finishedMoreThanOnce(): string[] {
    const problems: string[] = [];
    for (const [key, versions] of this.history) {
      const first = versions.find((v) => v.phase !== undefined && finalPhases.has(v.phase));
      if (!first) continue;
      for (const v of versions.slice(versions.indexOf(first) + 1)) {
        if (v.type === 'DELETED') continue;
        if (
          v.phase !== first.phase ||
          v.reason !== first.reason ||
          v.completionTime !== first.completionTime
        ) {
          problems.push(
            `${key}: finished ${first.phase}/${first.reason} at ${first.completionTime}, later ${v.phase}/${v.reason} at ${v.completionTime}`,
          );
          break;
        }
      }
    }
    return problems;
  }

  /** The phases a run went through, without repeats. */
  phases(key: string): (PipelineRunPhase | undefined)[] {
    const out: (PipelineRunPhase | undefined)[] = [];
    for (const v of this.history.get(key) ?? []) if (out.at(-1) !== v.phase) out.push(v.phase);
    return out;
  }

  watchRecoveries(): { resumes: number; relists: number } {
    return {
      resumes: this.watches.reduce((n, w) => n + w.resumes, 0),
      relists: this.watches.reduce((n, w) => n + w.relists, 0),
    };
  }

  async start(namespaces: string[]): Promise<void> {
    for (const namespace of namespaces) {
      const watch = new ResilientWatch<PipelineRun>({
        path: `/apis/${group}/${version}/namespaces/${namespace}/${pipelineRunNames.plural}`,
        list: () =>
          custom().listNamespacedCustomObject({
            group,
            version,
            namespace,
            plural: pipelineRunNames.plural,
          }) as Promise<{ items: unknown[] }>,
        onEvent: (type, run) => this.observe(type, run),
      });
      await watch.start();
      this.watches.push(watch);
    }
  }

  stop(): void {
    for (const w of this.watches) w.stop();
  }
}

export async function recordRuns(t: TestContext, namespaces: string[]): Promise<RunRecorder> {
  const recorder = new RunRecorder();
  await recorder.start(namespaces);
  t.after(() => recorder.stop());
  return recorder;
}
