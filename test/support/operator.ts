// Runs the operator as a separate process, exactly as `make run` does, against the cluster
// under test. Its JSON log lines are kept (and shown when a test fails); stop() sends SIGTERM
// and reports the exit code, kill() sends SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { kubeconfigPath, waitFor } from './kube.ts';
import { e2eLogDir, repoRoot } from './paths.ts';

export interface OperatorOptions {
  /** Namespaces to reconcile (--namespaces); keeps parallel operators apart. */
  namespaces?: string[];
  args?: string[];
  env?: Record<string, string>;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
  /** A name in the logs when a test runs several. */
  name?: string;
  /** The kubeconfig the operator uses (default: the cluster under test's, kubeconfigPath()). */
  kubeconfig?: string;
}

export interface LogLine {
  level?: string;
  message?: string;
  [field: string]: unknown;
}

export interface OperatorProcess {
  readonly pid: number;
  readonly healthPort: number;
  readonly metricsPort: number;
  readonly logs: LogLine[];
  readonly exited: Promise<number | null>;
  /** SIGTERM, and the exit code (null if it had to be killed after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  /** True once the process has exited without the test's stop() or kill(): it died on its own. */
  diedOnItsOwn(): boolean;
  metrics(): Promise<string>;
  ready(): Promise<boolean>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const logDir = e2eLogDir;
const live = new Set<ChildProcess>();
// A test runner that dies must not leave operators behind.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startOperator(t: TestContext, options: OperatorOptions = {}): Promise<OperatorProcess> {
  const healthPort = await freePort();
  const metricsPort = await freePort();
  const args = [
    path.join(repoRoot, 'src', 'main.ts'),
    '--kubeconfig',
    options.kubeconfig ?? kubeconfigPath(),
    '--health-port',
    String(healthPort),
    '--metrics-port',
    String(metricsPort),
    '--bind-address',
    '127.0.0.1',
    '--log-format',
    'json',
    '--log-level',
    'debug',
    ...(options.namespaces ? ['--namespaces', options.namespaces.join(',')] : []),
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  const logs: LogLine[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      logs.push({ message: line });
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });

  let ended = false;
  const operator: OperatorProcess = {
    pid: child.pid ?? -1,
    healthPort,
    metricsPort,
    logs,
    exited,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      ended = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      ended = true;
      child.kill('SIGKILL');
      await exited;
    },
    diedOnItsOwn() {
      return !ended && (child.exitCode !== null || child.signalCode !== null);
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return res.text();
    },
    async ready() {
      try {
        return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200;
      } catch {
        return false;
      }
    },
  };

  t.after(async () => {
    const code = await operator.stop();
    // Keep the whole log for a post-mortem; show what went wrong in the test's output.
    mkdirSync(logDir, { recursive: true });
    const file = path.join(logDir, `${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}-${operator.pid}.log`);
    writeFileSync(file, logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const errors = logs.filter((l) => l.level === 'error');
    if (errors.length > 0 || (code !== 0 && code !== null) || process.env.FURROW_E2E_SHOW_LOGS) {
      t.diagnostic(`operator ${options.name ?? ''} exited ${code}; log: ${file}`);
      for (const line of (errors.length > 0 ? errors : logs.slice(-20)).slice(-20))
        t.diagnostic(JSON.stringify(line));
    }
  });

  if (options.waitReady !== false) {
    await waitFor(
      `operator ${options.name ?? ''} to be ready`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`operator exited with ${child.exitCode}: ${JSON.stringify(logs.slice(-5))}`);
        return operator.ready();
      },
      { timeoutMs: 30_000 },
    );
  }
  return operator;
}

/** Log lines that say something went wrong in a way the operator didn't handle. */
export function unhandledErrors(logs: LogLine[]): LogLine[] {
  return logs.filter(
    (l) =>
      /unhandled|uncaught|event handler threw/i.test(String(l.message)) ||
      // Not the logger's JSON: what Node prints when an exception escapes (a stack trace).
      (l.level === undefined && /^(\w*Error\b|\s+at \S)/.test(String(l.message))),
  );
}
