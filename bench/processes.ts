// The processes the benchmark watches: the operator (started here from bench/.dist/, compiled as
// the container image runs it) and kube-controller-manager (the Job controller's process).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { freePort } from '../test/support/operator.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');

export interface OperatorHandle {
  child: ChildProcess;
  metricsPort: number;
  scrape(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export interface OperatorStart {
  kubeconfig: string;
  /** V8 old-generation limit in MB (default 128: what a 512 MiB pod limit gives). */
  heapLimitMB?: number;
  cpuProfileDir?: string;
  workers?: number;
  qps?: number;
  /** More environment, e.g. the object store's settings and keys (archiving on). */
  env?: Record<string, string>;
}

export async function startOperator(options: OperatorStart): Promise<OperatorHandle> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  // As the image runs it (Dockerfile ENTRYPOINT) in the chart's default pod: with a 512 MiB
  // memory limit, Node gives V8 a quarter of it for the old generation. On this machine (no
  // cgroup limit, 24 GiB) V8 would allow gigabytes and grow its heap lazily with garbage.
  const nodeArgs = [
    '--max-semi-space-size=2',
    '--optimize-for-size',
    `--max-old-space-size=${options.heapLimitMB ?? 128}`,
    ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
  ];
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(repoRoot, 'bench', '.dist', 'main.js'),
      '--kubeconfig',
      options.kubeconfig,
      '--metrics-port',
      String(metricsPort),
      '--health-port',
      String(healthPort),
      '--bind-address',
      '127.0.0.1',
      '--log-level',
      'warn',
      '--log-format',
      'json',
      '--instance',
      'bench',
      ...(options.workers ? ['--workers', String(options.workers)] : []),
      ...(options.qps
        ? ['--kube-api-qps', String(options.qps), '--kube-api-burst', String(options.qps * 2)]
        : []),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: repoRoot,
      env: { ...process.env, MALLOC_ARENA_MAX: '2', ...options.env },
    },
  );
  const exited = once(child, 'exit');
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null) throw new Error(`the operator exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    metricsPort,
    scrape: async () => parseMetrics(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Prometheus text → "name{labels}" → value. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Sum of the series of `name` whose labels contain every given label="value". */
export function sumMetric(
  metrics: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const [key, value] of metrics) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

/** Resident memory of a process, from /proc (for kube-controller-manager). */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * A Node process that does nothing but measure its own event-loop delay, as prom-client does
 * for the operator (10 ms resolution, a p99 each second). What it sees is the machine's part of
 * any process's delay: time spent waiting for a core while the API server, etcd and the rest
 * use both.
 */
export interface IdleProbe {
  /** The p99 of the last second, in ms. */
  latestMs(): number | undefined;
  stop(): void;
}

export function startIdleProbe(): IdleProbe {
  const script = `
    const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    setInterval(() => { process.stdout.write(h.percentile(99) / 1e6 + '\\n'); h.reset(); }, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let latest: number | undefined;
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    const last = lines.at(-1);
    if (last) latest = Number(last);
  });
  return { latestMs: () => latest, stop: () => child.kill() };
}

export function controllerManagerPid(clusterDir: string): number | undefined {
  try {
    return Number(readFileSync(path.join(clusterDir, 'pids', 'kube-controller-manager.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

export interface Sample {
  at: number;
  rss?: number;
  heapUsed?: number;
  /** What V8 has committed for its heap (used plus garbage plus slack). */
  heapTotal?: number;
  external?: number;
  eventLoopP99?: number;
  controllerManagerRss?: number;
  /** The idle probe's event-loop p99, ms. */
  idleLoopP99Ms?: number;
}

/** Samples memory and event-loop delay every second until stopped. */
export function sampler(
  operator: OperatorHandle | undefined,
  clusterDir: string,
  probe: IdleProbe,
): { samples: Sample[]; stop: () => void } {
  const samples: Sample[] = [];
  const cm = controllerManagerPid(clusterDir);
  const timer = setInterval(() => {
    void (async () => {
      const s: Sample = {
        at: Date.now(),
        controllerManagerRss: cm ? rssBytes(cm) : undefined,
        idleLoopP99Ms: probe.latestMs(),
      };
      if (operator) {
        const m = await operator.scrape().catch(() => undefined);
        if (m) {
          s.rss = m.get('process_resident_memory_bytes');
          s.heapUsed = sumMetric(m, 'nodejs_heap_size_used_bytes');
          s.heapTotal = sumMetric(m, 'nodejs_heap_size_total_bytes');
          s.external = sumMetric(m, 'nodejs_external_memory_bytes');
          s.eventLoopP99 = m.get('nodejs_eventloop_lag_p99_seconds');
        }
      }
      samples.push(s);
    })();
  }, 1000);
  return { samples, stop: () => clearInterval(timer) };
}
