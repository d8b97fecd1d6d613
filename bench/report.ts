// The benchmark's report: a row per scenario and measure with Furrow, the Job controller and
// their ratio (and archive scenarios' Furrow without and with an object store), and a
// pass/fail line per target of issues #8 and #17. Pure.
import type { SideResult } from './scenarios.ts';

export interface ScenarioResult {
  id: string;
  description: string;
  furrow: SideResult;
  job?: SideResult;
  /** An archive scenario's second side: Furrow with the object store (`furrow` has none). */
  archived?: SideResult;
}

export interface Settings {
  date: string;
  machine: string;
  nodes: number;
  podsPerNode: number;
  kubernetes: string;
  controllerManager: string;
  scheduler: string;
  operator: string;
}

export interface Target {
  name: string;
  goal: string;
  measured: string;
  pass: boolean | undefined;
}

const fmt = (v: number | undefined, unit = ''): string => (v === undefined ? '–' : `${v}${unit}`);
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '–' : (a / b).toFixed(2);

export function targets(results: ScenarioResult[]): Target[] {
  const byId = (id: string) => results.find((r) => r.id === id);
  const out: Target[] = [];
  const b1000 = byId('burst-1000');
  const r =
    b1000 && b1000.job
      ? (b1000.furrow.allPodsExistS ?? Infinity) / (b1000.job.allPodsExistS ?? Infinity)
      : undefined;
  out.push({
    name: 'Time until all pods exist, N = 1000',
    goal: 'Furrow/Job ≤ 1.0',
    measured: b1000
      ? `${fmt(b1000.furrow.allPodsExistS, ' s')} vs ${fmt(b1000.job?.allPodsExistS, ' s')} (${r === undefined ? '–' : r.toFixed(2)})`
      : 'not run',
    pass: r === undefined || !Number.isFinite(r) ? undefined : r <= 1,
  });
  const s20 = byId('steady-20');
  out.push({
    name: 'create→pod p99 and status lag p99 at 20 runs/s',
    goal: '≤ 1000 ms each',
    measured: s20
      ? `${fmt(s20.furrow.createToPodMs.p99, ' ms')}, ${fmt(s20.furrow.statusLagMs.p99, ' ms')}`
      : 'not run',
    pass: s20
      ? (s20.furrow.createToPodMs.p99 ?? Infinity) <= 1000 && (s20.furrow.statusLagMs.p99 ?? Infinity) <= 1000
      : undefined,
  });
  const measured = results.filter(
    (x) => x.furrow.perRun.objectWrites !== undefined && x.furrow.succeeded === x.furrow.n,
  );
  const worstWrites = Math.max(...measured.map((x) => x.furrow.perRun.objectWrites ?? 0));
  const worstReads = Math.max(...measured.map((x) => x.furrow.perRun.reads ?? 0));
  out.push({
    name: 'Writes per successful run (its pod and status); reads after the initial sync',
    goal: 'writes ≤ 3; reads 0',
    measured: measured.length
      ? `writes ${worstWrites}, reads ${worstReads} (worst scenario; the pool’s status, at most a write a second, and Events are shown apart)`
      : 'not run',
    pass: measured.length ? worstWrites <= 3 && worstReads === 0 : undefined,
  });
  const mem = byId('memory-10000');
  out.push({
    name: 'Operator RSS with 10,000 finished runs and pods cached',
    goal: '≤ 200 MB',
    measured: mem
      ? `${fmt(mem.furrow.memory.rssSettledMB, ' MB')} at rest (heap ${fmt(mem.furrow.memory.heapSettledMB, ' MB')}; peak while creating them ${fmt(mem.furrow.memory.rssMaxMB, ' MB')})`
      : 'not run',
    pass: mem ? (mem.furrow.memory.rssSettledMB ?? Infinity) <= 200 : undefined,
  });
  const s50 = byId('steady-50');
  out.push({
    name: 'Event-loop delay p99 at 50 runs/s',
    goal: '≤ 50 ms',
    measured: s50
      ? `${fmt(s50.furrow.eventLoopP99Ms.p99, ' ms')} (worst second ${fmt(s50.furrow.eventLoopP99Ms.max, ' ms')}; an idle Node process meanwhile: ${fmt(s50.furrow.idleLoopP99Ms, ' ms')})`
      : 'not run',
    pass: s50 ? (s50.furrow.eventLoopP99Ms.p99 ?? Infinity) <= 50 : undefined,
  });
  const a20 = byId('archive-20');
  const off = a20?.furrow.createToPodMs.p99;
  const on = a20?.archived?.createToPodMs.p99;
  out.push({
    name: 'create→pod p99 at 20 runs/s, logs archived vs not',
    goal: 'on/off ≤ 1.10',
    measured: a20 ? `${fmt(on, ' ms')} vs ${fmt(off, ' ms')} (${ratio(on, off)})` : 'not run',
    pass: on === undefined || off === undefined || off === 0 ? undefined : on / off <= 1.1,
  });
  return out;
}

/** The archive scenarios' table: Furrow without an object store and with one, side by side. */
function archiveRows(results: ScenarioResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const [f, a] = [r.furrow, r.archived];
    if (!a) continue;
    const row = (measure: string, x: number | undefined, y: number | undefined, unit = '') =>
      lines.push(`| ${r.description} | ${measure} | ${fmt(x, unit)} | ${fmt(y, unit)} | ${ratio(y, x)} |`);
    lines.push(`| ${r.description} | finished | ${f.succeeded}/${f.n} | ${a.succeeded}/${a.n} | |`);
    row('create→pod p50', f.createToPodMs.p50, a.createToPodMs.p50, ' ms');
    row('create→pod p99', f.createToPodMs.p99, a.createToPodMs.p99, ' ms');
    row('pod done→status p99', f.statusLagMs.p99, a.statusLagMs.p99, ' ms');
    lines.push(
      `| ${r.description} | attempts archived | ${fmt(f.archive?.archived)} | ${fmt(a.archive?.archived)} | |`,
    );
    row(
      'archiver’s pods/log reads/run',
      f.archive?.kubernetesRequestsPerRun,
      a.archive?.kubernetesRequestsPerRun,
    );
    row(
      'operator’s pods/log API requests/run',
      f.archive?.podLogRequestsPerRun,
      a.archive?.podLogRequestsPerRun,
    );
    row('archiver’s store requests/run', f.archive?.storeRequestsPerRun, a.archive?.storeRequestsPerRun);
    row('archived bytes/run', f.archive?.bytesPerRun, a.archive?.bytesPerRun);
    row('RSS max', f.memory.rssMaxMB, a.memory.rssMaxMB, ' MB');
    row('CPU mean, % of a core', f.cpuMeanPercent, a.cpuMeanPercent);
  }
  if (lines.length === 0) return [];
  return [
    '',
    'Logs archived to the object store (ADR 12): Furrow without a store, then with one.',
    '',
    '| Scenario | Measure | Off | On | On/Off |',
    '| --- | --- | --- | --- | --- |',
    ...lines,
  ];
}

export function markdown(results: ScenarioResult[], settings: Settings, hotspots?: string): string {
  const lines = [
    `Measured ${settings.date} on ${settings.machine}; ${settings.nodes} kwok nodes × ${settings.podsPerNode} pods; Kubernetes ${settings.kubernetes}.`,
    `Job controller: ${settings.controllerManager}. Scheduler: ${settings.scheduler}. Operator: ${settings.operator}.`,
  ];
  const versusJob = results.filter((x) => !x.archived);
  if (versusJob.length > 0)
    lines.push('', '| Scenario | Measure | Furrow | Job | Furrow/Job |', '| --- | --- | --- | --- | --- |');
  for (const r of versusJob) {
    const f = r.furrow;
    const j = r.job;
    const row = (measure: string, a: number | undefined, b: number | undefined, unit: string) =>
      lines.push(`| ${r.description} | ${measure} | ${fmt(a, unit)} | ${fmt(b, unit)} | ${ratio(a, b)} |`);
    lines.push(
      `| ${r.description} | finished | ${f.succeeded}/${f.n} | ${j ? `${j.succeeded}/${j.n}` : '–'} | |`,
    );
    // A side that gave up shows its window as a lower bound, and the ratio as the bound it gives.
    const timed = (measure: string, a: number | undefined, b: number | undefined) => {
      const fa = a ?? f.gaveUpAfterS;
      const jb = b ?? j?.gaveUpAfterS;
      const aLow = a === undefined && fa !== undefined;
      const bLow = b === undefined && jb !== undefined;
      const text = (v: number | undefined, low: boolean) => (low ? `> ${String(v)} s` : fmt(v, ' s'));
      const rt = ratio(fa, jb);
      const bound = aLow && bLow ? undefined : aLow ? '> ' : bLow ? '< ' : '';
      const shown = bound === undefined || rt === '–' ? '–' : `${bound}${rt}`;
      lines.push(`| ${r.description} | ${measure} | ${text(fa, aLow)} | ${text(jb, bLow)} | ${shown} |`);
    };
    timed('all pods exist', f.allPodsExistS, j?.allPodsExistS);
    timed('all final', f.allFinalS, j?.allFinalS);
    row('create→pod p50', f.createToPodMs.p50, j?.createToPodMs.p50, ' ms');
    row('create→pod p99', f.createToPodMs.p99, j?.createToPodMs.p99, ' ms');
    row('pod done→status p50', f.statusLagMs.p50, j?.statusLagMs.p50, ' ms');
    row('pod done→status p99', f.statusLagMs.p99, j?.statusLagMs.p99, ' ms');
    row('object writes/run (pod + status)', f.perRun.objectWrites, j?.perRun.objectWrites, '');
    row('pool status writes/run', f.perRun.poolStatusWrites, j?.perRun.poolStatusWrites, '');
    row('Event writes/run', f.perRun.eventWrites, j?.perRun.eventWrites, '');
    row('reads/run', f.perRun.reads, j?.perRun.reads, '');
    lines.push(`| ${r.description} | reconciles/run | ${fmt(f.reconcilesPerRun)} | – | |`);
    row('RSS max', f.memory.rssMaxMB, j?.memory.rssMaxMB, ' MB');
    row('CPU mean, % of a core', f.cpuMeanPercent, j?.cpuMeanPercent, '');
    if (f.eventLoopP99Ms.p99 !== undefined)
      lines.push(`| ${r.description} | event-loop p99 | ${fmt(f.eventLoopP99Ms.p99, ' ms')} | – | |`);
    if (f.idleLoopP99Ms !== undefined)
      lines.push(
        `| ${r.description} | event-loop p99 of an idle Node process | ${fmt(f.idleLoopP99Ms, ' ms')} | ${fmt(j?.idleLoopP99Ms, ' ms')} | |`,
      );
  }
  lines.push(...archiveRows(results));
  lines.push('', '| Target | Goal | Measured | Result |', '| --- | --- | --- | --- |');
  for (const t of targets(results)) {
    lines.push(
      `| ${t.name} | ${t.goal} | ${t.measured} | ${t.pass === undefined ? 'not run' : t.pass ? 'pass' : '**fail**'} |`,
    );
  }
  if (hotspots) lines.push('', hotspots);
  lines.push(
    '',
    'Writes are counted from the API server’s audit log for the operator’s ServiceAccount and the Job controller’s (`test/cluster/audit-policy.yaml`); the Job controller’s RSS and CPU are the whole kube-controller-manager process’s. The idle Node process measures only its own event-loop delay: what it sees is time spent waiting for one of the machine’s cores. Timings come from watch events received by the benchmark.',
  );
  return lines.join('\n') + '\n';
}
