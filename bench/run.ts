// `make bench`: Furrow against the Kubernetes Job controller on the local cluster.
//   node bench/run.ts [--scenarios burst-100,steady-20,...] [--smoke] [--nodes 50] [--pods 110]
//                     [--no-job] [--cpu-prof steady-50] [--out bench/results] [--keep]
//                     [--seconds 45]   (steady scenarios last that long instead of 2 min)
//   node bench/run.ts --render bench/results/bench-<stamp>.json   (report again, measure nothing)
// See README ("Benchmark") and issue #8 for what is measured and why.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { perRun } from './audit.ts';
import { hotspots } from './cpu-profile.ts';
import { startIdleProbe, startOperator, type OperatorHandle } from './processes.ts';
import { markdown, targets, type ScenarioResult, type Settings } from './report.ts';
import { runSide, type Context, type Scenario, type SideResult } from './scenarios.ts';
import {
  clients,
  ensureNamespaces,
  ensureNodes,
  ensurePool,
  operatorKubeconfig,
  poolStatus,
  teardown,
} from './setup.ts';
import { benchPool } from './workload.ts';
import { localObjectStore } from '../test/support/object-store.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
// The cluster's state directory: the local cluster's, or another one started with the same scripts.
const clusterDir = process.env.FURROW_CLUSTER_DIR ?? path.join(repoRoot, '.cluster');
const { values } = parseArgs({
  options: {
    scenarios: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    nodes: { type: 'string' },
    pods: { type: 'string', default: '110' },
    'no-job': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    out: { type: 'string', default: path.join(repoRoot, 'bench', 'results') },
    keep: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
    render: { type: 'string' },
    seconds: { type: 'string' },
  },
});

const catalogue: Record<string, Scenario & { description: string }> = {
  'burst-20': { id: 'burst-20', mode: 'burst', count: 20, simDuration: '1s', description: 'burst 20' },
  'burst-100': { id: 'burst-100', mode: 'burst', count: 100, simDuration: '1s', description: 'burst 100' },
  'burst-1000': {
    id: 'burst-1000',
    mode: 'burst',
    count: 1000,
    simDuration: '1s',
    description: 'burst 1000',
  },
  'burst-5000': {
    id: 'burst-5000',
    mode: 'burst',
    count: 5000,
    simDuration: '1s',
    description: 'burst 5000',
  },
  'steady-10': {
    id: 'steady-10',
    mode: 'steady',
    rate: 10,
    seconds: 120,
    count: 1200,
    simDuration: '1s',
    description: '10 runs/s, 2 min',
  },
  'steady-20': {
    id: 'steady-20',
    mode: 'steady',
    rate: 20,
    seconds: 120,
    count: 2400,
    simDuration: '1s',
    description: '20 runs/s, 2 min',
  },
  'steady-50': {
    id: 'steady-50',
    mode: 'steady',
    rate: 50,
    seconds: 120,
    count: 6000,
    simDuration: '1s',
    description: '50 runs/s, 2 min',
  },
  // Furrow alone, twice: without an object store, then archiving every run's logs to the local
  // cluster's (kwok serves the logs: test/cluster/kwok/logs.sh).
  'archive-20': {
    id: 'archive-20',
    mode: 'steady',
    rate: 20,
    seconds: 120,
    count: 2400,
    simDuration: '1s',
    archive: true,
    description: '20 runs/s, 2 min, archiving off and on',
  },
  // Not in the default set: a quicker estimate of the memory per finished run.
  'memory-2000': {
    id: 'memory-2000',
    mode: 'burst',
    count: 2000,
    simDuration: '200ms',
    keep: true,
    description: '2,000 runs kept',
  },
  'memory-10000': {
    id: 'memory-10000',
    mode: 'burst',
    count: 10_000,
    simDuration: '200ms',
    keep: true,
    description: '10,000 runs kept',
  },
};

const defaultScenarios = [
  'burst-100',
  'burst-1000',
  'burst-5000',
  'steady-10',
  'steady-20',
  'steady-50',
  'archive-20',
  'memory-10000',
];
const chosen = values.smoke ? ['burst-20'] : (values.scenarios?.split(',') ?? defaultScenarios);
const nodes = Number(values.nodes ?? (values.smoke ? 5 : chosen.includes('memory-10000') ? 100 : 50));
const podsPerNode = Number(values.pods);
if (values.seconds) {
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: a positive number of seconds, not ${values.seconds}`);
  for (const s of Object.values(catalogue))
    if (s.mode === 'steady' && s.rate) {
      Object.assign(s, {
        seconds,
        count: Math.round(s.rate * seconds),
        description: s.description.replace('2 min', `${seconds} s`),
      });
    }
}
const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function main(): Promise<void> {
  for (const id of chosen)
    if (!catalogue[id]) throw new Error(`unknown scenario ${id}: ${Object.keys(catalogue).join(', ')}`);
  const kubeconfig = path.join(clusterDir, 'kubeconfig');
  const auditFile = path.join(clusterDir, 'logs', 'audit.log');
  const apiserverCmd = path.join(clusterDir, 'pids', 'kube-apiserver.cmd');
  if (!existsSync(apiserverCmd) || !readFileSync(apiserverCmd, 'utf8').includes('--audit-policy-file')) {
    throw new Error('the local cluster must run with its audit policy: make cluster-down cluster-up');
  }
  // Compiled as the image runs it, into a directory of the benchmark's own (other tasks, like
  // the image test, rebuild dist/ from scratch at any moment).
  log('compiling the operator to bench/.dist/');
  execFileSync(
    path.join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', path.join(repoRoot, 'bench', '.dist')],
    {
      cwd: repoRoot,
      stdio: 'inherit',
    },
  );

  const c = clients(kubeconfig);
  await ensureNamespaces(c);
  const operatorKc = await operatorKubeconfig(c, path.join(clusterDir, 'bench'));
  log(`creating ${nodes} kwok nodes × ${podsPerNode} pods and the bench pool`);
  const nodeNames = await ensureNodes(c, nodes, podsPerNode);
  await ensurePool(c);
  let operator: OperatorHandle = await startOperator({ kubeconfig: operatorKc });
  const waitPool = async () => {
    for (let i = 0; i < 600; i++) {
      const s = await poolStatus(c).catch(() => undefined);
      if (s?.readyNodes === nodes) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the bench pool never had all its nodes ready');
  };
  await waitPool();
  log('pool ready');

  const version = JSON.parse(
    execFileSync(
      path.join(repoRoot, 'bin', 'kubectl'),
      ['--kubeconfig', kubeconfig, 'version', '-o', 'json'],
      { encoding: 'utf8' },
    ),
  ) as {
    serverVersion?: { gitVersion?: string };
  };
  const settings: Settings = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: `${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    nodes,
    podsPerNode,
    kubernetes: version.serverVersion?.gitVersion ?? 'unknown',
    controllerManager:
      'kube-controller-manager defaults: --kube-api-qps 20, --kube-api-burst 30, --concurrent-job-syncs 5, --use-service-account-credentials',
    scheduler: 'kube-scheduler defaults (clientConnection qps 50, burst 100)',
    operator:
      'furrow defaults: --workers 8, --kube-api-qps 200, --kube-api-burst 400; compiled dist/main.js on Node 24',
  };
  const pool = benchPool();
  const results: ScenarioResult[] = [];
  // The stamped copy is local history (git ignores it), rewritten after every scenario so a run
  // that dies late keeps what it measured; latest.{json,md} are written at the end and committed.
  mkdirSync(values.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const stamped = path.join(values.out, `${values.smoke ? 'smoke' : 'bench'}-${stamp}.json`);
  const probe = startIdleProbe();
  let profile: string | undefined;
  const profileDir = path.join(values.out, 'tmp');
  try {
    for (const id of chosen) {
      const scenario = catalogue[id];
      if (!scenario) continue;
      const profiling = values['cpu-prof'] === id;
      if (profiling) {
        await operator.stop();
        mkdirSync(profileDir, { recursive: true });
        operator = await startOperator({ kubeconfig: operatorKc, cpuProfileDir: profileDir });
      }
      const ctx: Context = {
        c,
        pool,
        operator,
        auditFile,
        concurrency: Number(values.concurrency),
        log,
        clusterDir,
        probe,
      };
      const furrow = await runSide(ctx, scenario, 'furrow');
      log(
        `${id} furrow: ${JSON.stringify({ pods: furrow.allPodsExistS, final: furrow.allFinalS, writes: furrow.perRun, rss: furrow.memory.rssMaxMB })}`,
      );
      let archived: SideResult | undefined;
      if (scenario.archive) {
        await operator.stop();
        archived = await archivingSide(ctx, scenario, operatorKc);
        operator = await startOperator({ kubeconfig: operatorKc });
        log(
          `${id} archiving: ${JSON.stringify({ pods: archived.allPodsExistS, createToPodP99: archived.createToPodMs.p99, archive: archived.archive })}`,
        );
      }
      const job =
        values['no-job'] || scenario.keep || scenario.archive
          ? undefined
          : await runSide({ ...ctx, operator: undefined }, scenario, 'job');
      if (job)
        log(
          `${id} job: ${JSON.stringify({ pods: job.allPodsExistS, final: job.allFinalS, writes: job.perRun })}`,
        );
      results.push({
        id,
        description: scenario.description,
        furrow,
        ...(job ? { job } : {}),
        ...(archived ? { archived } : {}),
      });
      if (profiling) {
        await operator.stop();
        const file = readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .pop();
        if (file) {
          const top = hotspots(
            JSON.parse(readFileSync(path.join(profileDir, file), 'utf8')) as Parameters<typeof hotspots>[0],
          );
          profile = [
            `CPU profile of the operator during ${id} (self time, top functions):`,
            '',
            '| Function | Where | Self % |',
            '| --- | --- | --- |',
            ...top.map((h) => `| ${h.function} | ${h.where} | ${h.selfPercent} |`),
          ].join('\n');
        }
        operator = await startOperator({ kubeconfig: operatorKc });
      }
      writeFileSync(stamped, resultsJson(settings, results, profile));
    }
  } finally {
    if (!values.keep) {
      log('tearing down');
      await teardown(c, nodeNames);
    }
    await operator.stop();
    probe.stop();
  }

  publish(settings, results, profile);
}

/**
 * The archive scenario's second side: an operator given the local cluster's object store, under
 * the scenario's id + "-on" so that no run name is reused.
 */
async function archivingSide(ctx: Context, scenario: Scenario, kubeconfig: string): Promise<SideResult> {
  const archiving = await startOperator({ kubeconfig, env: localObjectStore(clusterDir).env });
  try {
    const side = { ...ctx, operator: archiving, archiving: true };
    return await runSide(side, { ...scenario, id: `${scenario.id}-on` }, 'furrow');
  } finally {
    await archiving.stop();
  }
}

function resultsJson(settings: Settings, results: ScenarioResult[], profile: string | undefined): string {
  return JSON.stringify({ settings, results, targets: targets(results), profile }, null, 2) + '\n';
}

/** Writes latest.{json,md}, and the README's table when every default scenario was measured. */
function publish(settings: Settings, results: ScenarioResult[], profile: string | undefined): void {
  const md = markdown(results, settings, profile);
  const json = resultsJson(settings, results, profile);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(path.join(values.out, values.smoke ? 'smoke-latest.json' : 'latest.json'), json);
  writeFileSync(path.join(values.out, values.smoke ? 'smoke-latest.md' : 'latest.md'), md);
  const complete = defaultScenarios.every((id) => results.some((r) => r.id === id));
  if (!values.smoke && complete) updateReadme(md);
  process.stdout.write(md);
}

/**
 * Reports a saved run again with the current report code (per-run figures are recomputed from
 * its audit counts): a change to how results are shown needs no new two-hour run.
 */
function rerender(file: string): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    settings: Settings;
    results: ScenarioResult[];
    profile?: string;
  };
  for (const r of saved.results)
    for (const side of [r.furrow, r.job, r.archived]) if (side) side.perRun = perRun(side.api, side.n);
  publish(saved.settings, saved.results, saved.profile);
}

/** Puts the table between the README's bench markers. */
function updateReadme(md: string): void {
  const file = path.join(repoRoot, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  writeFileSync(file, `${text.slice(0, i + start.length)}\n${md}${text.slice(j)}`);
}

if (values.render) rerender(values.render);
else await main();
