// One scenario, one side (Furrow or the Job controller): create the workload, wait until
// everything is final, and turn timelines, audit counts and samples into figures.
import * as k8s from '@kubernetes/client-node';
import { countAudit, perRun, readAudit, type PerRun } from './audit.ts';
import {
  controllerManagerPid,
  cpuSeconds,
  sampler,
  sumMetric,
  type IdleProbe,
  type OperatorHandle,
  type Sample,
} from './processes.ts';
import { Recorder, type Timeline } from './recorder.ts';
import { jobControllerUser, operatorUser, workNamespaces, type Clients } from './setup.ts';
import { max, percentile, round } from './stats.ts';
import { burst, create, items, scenarioLabel, steady, type Kind } from './workload.ts';
import type { NodePool } from '../src/resources/types.ts';

export interface Scenario {
  id: string;
  mode: 'burst' | 'steady';
  /** burst: how many; steady: computed from rate × seconds. */
  count: number;
  rate?: number;
  seconds?: number;
  simDuration: string;
  /** Keep the objects afterwards (the memory scenario measures a full cache). */
  keep?: boolean;
  /** Furrow without and with an object store (logs archived, ADR 12), not against the Job controller. */
  archive?: boolean;
}

/** The log archive's cost, from the operator's metrics over the side (issue 17). */
export interface ArchiveFigures {
  /** Attempts archived (furrow_log_archives_total{result="archived"}). */
  archived: number;
  /** The archiver's requests per run (furrow_log_archive_requests_total): pods/log reads, store requests. */
  kubernetesRequestsPerRun?: number;
  storeRequestsPerRun?: number;
  /** The operator's pods/log requests per run as its API client counted them (furrow_api_requests_total). */
  podLogRequestsPerRun?: number;
  /** furrow_log_archive_bytes_total per run. */
  bytesPerRun?: number;
}

export interface SideResult {
  kind: Kind;
  n: number;
  succeeded: number;
  failed: number;
  allPodsExistS?: number;
  allFinalS?: number;
  /** Set when not everything was final within the scenario's window (120 s + 0.2 s a run). */
  gaveUpAfterS?: number;
  /** The benchmark's watches that ended and were restarted (timings after a gap run late). */
  rewatches?: number;
  createToPodMs: { p50?: number; p99?: number };
  statusLagMs: { p50?: number; p99?: number };
  api: { reads: number; writes: number; watches: number; writesByResource: Record<string, number> };
  perRun: PerRun;
  reconcilesPerRun?: number;
  clientRequests?: { reads: number; writes: number };
  archive?: ArchiveFigures;
  /** Peak during the scenario; settled: with everything finished and cached, 20 s later. */
  memory: { rssMaxMB?: number; heapMaxMB?: number; rssSettledMB?: number; heapSettledMB?: number };
  eventLoopP99Ms: { max?: number; p99?: number };
  /** Mean CPU of the side's process (the operator; all of kube-controller-manager), % of one core. */
  cpuMeanPercent?: number;
  /**
   * Event-loop delay p99 of an idle Node process on the same machine meanwhile: the part of any
   * process's delay that is waiting for a core, not its own work.
   */
  idleLoopP99Ms?: number;
  /** Per-second samples: seconds since start, RSS MB, event-loop p99 ms, heap used/committed and external MB. */
  series?: (number | undefined)[][];
}

export interface Context {
  c: Clients;
  pool: NodePool;
  operator?: OperatorHandle;
  auditFile: string;
  concurrency: number;
  log: (message: string) => void;
  clusterDir: string;
  probe: IdleProbe;
  /** The operator archives logs: the side ends once every attempt is archived (bounded). */
  archiving?: boolean;
}

export async function runSide(ctx: Context, scenario: Scenario, kind: Kind): Promise<SideResult> {
  const tag = `${scenario.id}-${kind}`;
  const recorder = new Recorder(ctx.c.kc, tag);
  await recorder.start();
  const list = items(kind, scenario.id, scenario.count);
  const before = await ctx.operator?.scrape();
  const samples = sampler(kind === 'furrow' ? ctx.operator : undefined, ctx.clusterDir, ctx.probe);
  const startedAt = Date.now();
  // The side's process: the operator, or kube-controller-manager for the Job controller.
  const pid = kind === 'furrow' ? ctx.operator?.child.pid : controllerManagerPid(ctx.clusterDir);
  const cpuAtStart = pid ? cpuSeconds(pid) : undefined;
  const createOne = (item: (typeof list)[number]) => create(ctx.c, item, tag, scenario.simDuration, ctx.pool);
  const sent = (item: (typeof list)[number], at: number) => recorder.sent(item, at);
  ctx.log(`${tag}: creating ${list.length} ${kind === 'furrow' ? 'PipelineRuns' : 'Jobs'}`);
  if (scenario.mode === 'burst') await burst(list, ctx.concurrency, createOne, sent);
  else await steady(list, scenario.rate ?? 1, createOne, sent);
  const timeoutMs = 120_000 + list.length * 200;
  const finished = await recorder.allFinal(list.length, timeoutMs);
  if (!finished)
    ctx.log(`${tag}: ${recorder.finals} of ${list.length} final after ${timeoutMs / 1000} s; giving up`);
  const endedAt = Date.now();
  const cpuAtEnd = pid ? cpuSeconds(pid) : undefined;
  samples.stop();
  recorder.stop();
  // Let the last status writes and the audit log settle.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  if (ctx.archiving && ctx.operator && before) await archivesDone(ctx, tag, before, list.length);
  const after = await ctx.operator?.scrape();

  const timelines = [...recorder.timelines.values()].filter((t) => t.sentAt !== undefined);
  const result = summarise(kind, timelines, samples.samples);
  if (!finished) result.gaveUpAfterS = timeoutMs / 1000;
  if (cpuAtStart !== undefined && cpuAtEnd !== undefined && endedAt > startedAt)
    result.cpuMeanPercent = round(((cpuAtEnd - cpuAtStart) * 100_000) / (endedAt - startedAt), 1);
  if (recorder.rewatches > 0) {
    result.rewatches = recorder.rewatches;
    ctx.log(`${tag}: the benchmark's own watches were restarted ${recorder.rewatches} times`);
  }
  const mbOf = (v: number | undefined) => round((v ?? NaN) / 1e6, 1);
  result.series = samples.samples.map((x) => [
    Math.round((x.at - startedAt) / 1000),
    mbOf(kind === 'furrow' ? x.rss : x.controllerManagerRss),
    round((x.eventLoopP99 ?? NaN) * 1000, 1),
    mbOf(x.heapUsed),
    mbOf(x.heapTotal),
    mbOf(x.external),
  ]);
  // The window opens as the first object is sent: the operator's start-up LISTs come before it.
  const audit = countAudit(
    readAudit(ctx.auditFile),
    kind === 'furrow' ? operatorUser : jobControllerUser,
    startedAt,
    endedAt + 1500,
  );
  result.api = {
    reads: audit.reads,
    writes: audit.writes,
    watches: audit.watches,
    writesByResource: audit.writesByResource,
  };
  result.perRun = perRun(result.api, list.length);
  if (before && after) {
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sumMetric(after, name, labels) - sumMetric(before, name, labels);
    result.reconcilesPerRun = round(
      delta('furrow_reconcile_total', { controller: 'pipelinerun' }) / list.length,
      2,
    );
    const reads =
      delta('furrow_api_requests_total', { verb: 'get' }) +
      delta('furrow_api_requests_total', { verb: 'list' });
    const writes = ['create', 'update', 'patch', 'delete'].reduce(
      (s, verb) => s + delta('furrow_api_requests_total', { verb }),
      0,
    );
    result.clientRequests = { reads, writes };
    const each = (n: number) => round(n / list.length, 2);
    result.archive = {
      archived: delta('furrow_log_archives_total', { result: 'archived' }),
      kubernetesRequestsPerRun: each(delta('furrow_log_archive_requests_total', { target: 'kubernetes' })),
      storeRequestsPerRun: each(delta('furrow_log_archive_requests_total', { target: 'store' })),
      podLogRequestsPerRun: each(delta('furrow_api_requests_total', { resource: 'pods/log' })),
      bytesPerRun: round(delta('furrow_log_archive_bytes_total') / list.length, 0),
    };
  }
  if (scenario.keep && ctx.operator) {
    // The memory target is about a full cache at rest, not the burst's peak: let the last
    // events, timers and garbage settle, then read RSS and heap a few times.
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const reads: Map<string, number>[] = [];
    for (let i = 0; i < 5; i++) {
      reads.push(await ctx.operator.scrape());
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const mb = (values: number[]) => round(Math.max(...values) / 1e6, 1);
    result.memory.rssSettledMB = mb(reads.map((m) => m.get('process_resident_memory_bytes') ?? 0));
    result.memory.heapSettledMB = mb(reads.map((m) => sumMetric(m, 'nodejs_heap_size_used_bytes')));
  }
  if (!scenario.keep) await cleanUp(ctx, kind, tag);
  return result;
}

/** Waits (up to 2 min) until the operator has archived `count` attempts since `before`. */
async function archivesDone(ctx: Context, tag: string, before: Map<string, number>, count: number) {
  const archived = (m: Map<string, number>) =>
    sumMetric(m, 'furrow_log_archives_total', { result: 'archived' }) -
    sumMetric(before, 'furrow_log_archives_total', { result: 'archived' });
  let done = 0;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const now = await ctx.operator?.scrape().catch(() => undefined);
    done = now ? archived(now) : done;
    if (done >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  ctx.log(`${tag}: ${done} of ${count} attempts archived after 2 min; reporting what was`);
}

function summarise(kind: Kind, timelines: Timeline[], samples: Sample[]): SideResult {
  const createToPod = timelines.flatMap((t) =>
    t.podSeenAt !== undefined && t.sentAt !== undefined ? [t.podSeenAt - t.sentAt] : [],
  );
  const statusLag = timelines.flatMap((t) =>
    t.finalAt !== undefined && t.podFinishedAt !== undefined
      ? [Math.max(0, t.finalAt - t.podFinishedAt)]
      : [],
  );
  const firstSent = Math.min(...timelines.map((t) => t.sentAt ?? Infinity));
  const lastPod = max(timelines.map((t) => t.podSeenAt ?? Infinity));
  const lastFinal = max(timelines.map((t) => t.finalAt ?? Infinity));
  const mb = (bytes: number | undefined) => round(bytes === undefined ? undefined : bytes / 1e6, 1);
  const loop = samples.flatMap((s) => (s.eventLoopP99 !== undefined ? [s.eventLoopP99 * 1000] : []));
  return {
    kind,
    n: timelines.length,
    succeeded: timelines.filter((t) => t.outcome === 'Succeeded').length,
    failed: timelines.filter((t) => t.outcome !== undefined && t.outcome !== 'Succeeded').length,
    allPodsExistS:
      lastPod !== undefined && Number.isFinite(lastPod) ? round((lastPod - firstSent) / 1000, 2) : undefined,
    allFinalS:
      lastFinal !== undefined && Number.isFinite(lastFinal)
        ? round((lastFinal - firstSent) / 1000, 2)
        : undefined,
    createToPodMs: { p50: round(percentile(createToPod, 50), 0), p99: round(percentile(createToPod, 99), 0) },
    statusLagMs: { p50: round(percentile(statusLag, 50), 0), p99: round(percentile(statusLag, 99), 0) },
    api: { reads: 0, writes: 0, watches: 0, writesByResource: {} },
    perRun: {},
    memory: {
      rssMaxMB: mb(
        max(
          samples.flatMap((s) =>
            kind === 'furrow'
              ? s.rss !== undefined
                ? [s.rss]
                : []
              : s.controllerManagerRss !== undefined
                ? [s.controllerManagerRss]
                : [],
          ),
        ),
      ),
      heapMaxMB:
        kind === 'furrow'
          ? mb(max(samples.flatMap((s) => (s.heapUsed !== undefined ? [s.heapUsed] : []))))
          : undefined,
    },
    eventLoopP99Ms:
      kind === 'furrow' ? { max: round(max(loop), 1), p99: round(percentile(loop, 99), 1) } : {},
    idleLoopP99Ms: round(
      percentile(
        samples.flatMap((s) => (s.idleLoopP99Ms !== undefined ? [s.idleLoopP99Ms] : [])),
        99,
      ),
      1,
    ),
  };
}

/** Deletes the side's objects and waits for their pods to go (bounded). */
export async function cleanUp(ctx: Context, kind: Kind, tag: string): Promise<void> {
  const labelSelector = `${scenarioLabel}=${tag}`;
  for (const namespace of workNamespaces) {
    if (kind === 'furrow') {
      await ctx.c.custom
        .deleteCollectionNamespacedCustomObject({
          group: 'furrow.dev',
          version: 'v1alpha1',
          plural: 'pipelineruns',
          namespace,
          labelSelector,
        })
        .catch(() => undefined);
    } else {
      await ctx.c.batch
        .deleteCollectionNamespacedJob({ namespace, labelSelector, propagationPolicy: 'Background' })
        .catch(() => undefined);
    }
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    let left = 0;
    for (const namespace of workNamespaces) {
      left += (
        await ctx.c.core
          .listNamespacedPod({ namespace, labelSelector, limit: 1 })
          .catch(() => ({ items: [] as k8s.V1Pod[] }))
      ).items.length;
    }
    if (left === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
