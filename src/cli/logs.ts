// `kubectl furrow logs`: which containers to print, in which order, and (with -f) when. The
// run's spec names the containers (checkout, steps, services, as the runner pod orders them);
// furrow-api decides whether a log comes from the pod or the archive, so the user sees no
// difference once the pod is gone. Returns the exit code.
import type { Writable } from 'node:stream';
import type { PipelineRun } from '../resources/types.ts';
import { KubeHttpError } from '../kube/raw.ts';
import type { LogsArgs } from './args.ts';
import { CliError, explain, type LogsClient } from './client.ts';
import { LinePrefixer, prefixFor } from './prefix.ts';

export const checkoutContainer = 'furrow-checkout';
const finalPhases = new Set(['Succeeded', 'Failed', 'Cancelled', 'TimedOut']);

export interface Target {
  /** Shown before each line. */
  label: string;
  container: string;
  role: 'checkout' | 'step' | 'service';
}

export interface LogsIO {
  out: Writable;
  err: Writable;
  colour: boolean;
  sleep: (ms: number) => Promise<void>;
  /** How often -f looks at the run again. */
  pollMs: number;
}

/** The run's containers in pod order: checkout (if it has a source), steps, services. */
export function targetsOfRun(run: PipelineRun): Target[] {
  return [
    ...(run.spec.source?.git
      ? [{ label: 'checkout', container: checkoutContainer, role: 'checkout' as const }]
      : []),
    ...run.spec.steps.map((s) => ({ label: s.name, container: s.name, role: 'step' as const })),
    ...(run.spec.services ?? []).map((s) => ({ label: s.name, container: s.name, role: 'service' as const })),
  ];
}

/** --step NAME: one of them (checkout by that word), or an error listing what there is. */
export function selectTargets(targets: Target[], step: string | undefined): Target[] {
  if (step === undefined) return targets;
  const found = targets.filter((t) => t.label === step || t.container === step);
  if (found.length === 0)
    throw new CliError(
      `--step ${step}: the run has no such step; it has: ${targets.map((t) => t.label).join(', ')}`,
    );
  return found;
}

/** A queued run's place, as the status says it. */
export function queueLine(run: PipelineRun): string {
  const s = run.status;
  const place =
    s?.queuePosition !== undefined
      ? `position ${s.queuePosition} in pool ${run.spec.pool}'s queue`
      : `waiting for pool ${run.spec.pool}`;
  const why = s?.message ?? s?.reason;
  return `Queued: ${place}${why ? ` (${why})` : ''}`;
}

export class LogsCommand {
  private readonly client: LogsClient;
  private readonly io: LogsIO;
  private readonly args: LogsArgs;
  private readonly namespace: string;

  constructor(client: LogsClient, io: LogsIO, args: LogsArgs, namespace: string) {
    this.client = client;
    this.io = io;
    this.args = args;
    this.namespace = namespace;
  }

  private note(text: string): void {
    this.io.err.write(`${text}\n`);
  }

  async run(): Promise<number> {
    const run = await this.client.getRun(this.namespace, this.args.run).catch((err: unknown) => {
      throw explain(err, `reading pipelinerun ${this.namespace}/${this.args.run}`);
    });
    if (!run || (this.args.uid && run.metadata.uid !== this.args.uid)) return await this.deleted();
    if (this.args.follow) return await this.follow(run);
    await this.printAll(
      selectTargets(targetsOfRun(run), this.args.step),
      this.args.attempt,
      undefined,
      false,
    );
    return 0;
  }

  /** The PipelineRun object is gone (or is another run of the name): read the archive. */
  private async deleted(): Promise<number> {
    const where = `pipelinerun ${this.namespace}/${this.args.run}`;
    const runs = await this.client
      .archive(this.namespace, this.args.run, this.args.uid)
      .catch((err: unknown) => {
        // No object store (or one that is down): the run is simply not there to read.
        if (err instanceof KubeHttpError && err.code === 503 && /object store/.test(err.message))
          throw new CliError(`${where} not found (and its archived logs can't be listed: ${err.message})`);
        throw explain(err, `${where} not found; listing its archived logs`);
      });
    if (runs.length === 0)
      throw new CliError(
        this.args.uid ? `${where} with uid ${this.args.uid}: no archived logs` : `${where} not found`,
      );
    if (runs.length > 1 && !this.args.uid) {
      const lines = runs.map((r) => {
        const last = r.attempts.at(-1);
        return `  --uid ${r.uid}   ${r.attempts.length} attempt(s), archived ${last?.archivedAt ?? '?'}`;
      });
      throw new CliError(
        `${where} is deleted, and ${runs.length} runs of that name have archived logs; choose one:\n${lines.join('\n')}`,
      );
    }
    const chosen = runs.at(-1);
    if (!chosen) throw new CliError(`${where} not found`);
    const manifest = this.args.attempt
      ? chosen.attempts.find((a) => a.attempt === this.args.attempt)
      : chosen.attempts.at(-1);
    if (!manifest)
      throw new CliError(`${where} (uid ${chosen.uid}) has no archived attempt ${this.args.attempt ?? ''}`);
    this.note(`${where} is deleted; its archived logs (uid ${chosen.uid}, attempt ${manifest.attempt}):`);
    const targets = manifest.containers.map((c) => ({
      label: c.role === 'checkout' ? 'checkout' : c.name,
      container: c.name,
      role: c.role,
    }));
    await this.printAll(selectTargets(targets, this.args.step), manifest.attempt, chosen.uid, false);
    return 0;
  }

  private async printAll(
    targets: Target[],
    attempt: number | undefined,
    uid: string | undefined,
    follow: boolean,
  ): Promise<void> {
    for (const [index, target] of targets.entries()) {
      try {
        await this.print(target, index, attempt, uid, follow);
      } catch (err) {
        if (err instanceof KubeHttpError && (err.code === 400 || err.code === 404)) {
          this.note(`[${target.label}] no log: ${err.message}`);
          continue;
        }
        throw explain(err, `reading ${target.label}'s log`);
      }
    }
  }

  private async print(
    target: Target,
    index: number,
    attempt: number | undefined,
    uid: string | undefined,
    follow: boolean,
  ): Promise<void> {
    const stream = await this.client.openLog(this.namespace, this.args.run, {
      container: target.container,
      attempt,
      uid,
      follow,
      timestamps: this.args.timestamps,
    });
    const prefixer = new LinePrefixer(prefixFor(target.label, index, this.io.colour));
    for await (const chunk of stream as AsyncIterable<Buffer>) this.io.out.write(prefixer.push(chunk));
    this.io.out.write(prefixer.end());
  }

  /** -f: through Queued, then each step as it starts; the exit code says how the run ended. */
  private async follow(first: PipelineRun): Promise<number> {
    let run = first;
    let shown = '';
    const refresh = async (): Promise<PipelineRun> => {
      const next = await this.client.getRun(this.namespace, this.args.run).catch((err: unknown) => {
        throw explain(err, `reading pipelinerun ${this.args.run}`);
      });
      if (!next || next.metadata.uid !== first.metadata.uid)
        throw new CliError(`pipelinerun ${this.args.run} was deleted`);
      return next;
    };
    for (;;) {
      const phase = run.status?.phase;
      if (phase === undefined || phase === 'Queued') {
        const line = phase === 'Queued' ? queueLine(run) : 'Waiting for the operator to see the run';
        if (line !== shown) this.note((shown = line));
        await this.io.sleep(this.io.pollMs);
        run = await refresh();
        continue;
      }
      break;
    }
    const targets = selectTargets(targetsOfRun(run), this.args.step);
    let attempt = this.args.attempt ?? run.status?.attempt ?? 1;
    for (;;) {
      for (const [index, target] of targets.entries()) {
        // Services run beside the steps: printed once the steps are done, not followed.
        const follow = target.role !== 'service';
        run = await this.waitAndPrint(target, index, attempt, follow, refresh, run);
      }
      while (!finalPhases.has(run.status?.phase ?? '') && (run.status?.attempt ?? attempt) === attempt) {
        await this.io.sleep(this.io.pollMs);
        run = await refresh();
      }
      const next = run.status?.attempt ?? attempt;
      if (this.args.attempt !== undefined || next === attempt) break;
      this.note(`--- attempt ${attempt} ended; attempt ${next}:`);
      attempt = next;
    }
    const phase = run.status?.phase ?? 'unknown';
    this.note(`pipelinerun ${this.args.run} ${phase}${run.status?.message ? `: ${run.status.message}` : ''}`);
    return phase === 'Succeeded' ? 0 : 1;
  }

  /** Prints a container's log once it has started; gives up once the run has finished without it. */
  private async waitAndPrint(
    target: Target,
    index: number,
    attempt: number,
    follow: boolean,
    refresh: () => Promise<PipelineRun>,
    current: PipelineRun,
  ): Promise<PipelineRun> {
    let run = current;
    for (;;) {
      const finishedBefore =
        finalPhases.has(run.status?.phase ?? '') || (run.status?.attempt ?? attempt) > attempt;
      try {
        await this.print(target, index, attempt, undefined, follow);
        return run;
      } catch (err) {
        // 400: not started yet (waiting to start, PodInitializing); 404: no pod or attempt yet.
        const notYet = err instanceof KubeHttpError && (err.code === 400 || err.code === 404);
        if (!notYet) throw explain(err, `reading ${target.label}'s log`);
        if (finishedBefore) {
          this.note(`[${target.label}] no log: ${err.message}`);
          return run;
        }
      }
      await this.io.sleep(this.io.pollMs);
      run = await refresh();
    }
  }
}
