// The operator's HTTP endpoints, on two ports so metrics can be exposed without the control
// endpoints: /metrics (Prometheus text), and /healthz, /readyz and /loglevel.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { isLogLevel, setLogLevel, type Logger } from './logger.ts';

export interface HealthChecks {
  /** The process works: its event loop turns (a stuck loop can't answer at all). */
  live: () => boolean;
  /** Ready to serve: caches synced. */
  ready: () => boolean;
  /** Extra facts for /readyz?verbose. */
  details?: () => Record<string, unknown>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'content-type': type });
  res.end(body);
}

function serve(routes: Record<string, Handler>, log: Logger): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = routes[path];
    if (!handler) {
      send(res, 404, 'not found\n');
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      log.error('http handler failed', { path, error: String(err) });
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
}

export function metricsServer(registry: Registry, log: Logger): Server {
  return serve(
    {
      '/metrics': async (_req, res) => {
        send(res, 200, await registry.metrics(), registry.contentType);
      },
    },
    log,
  );
}

export function healthServer(checks: HealthChecks, log: Logger): Server {
  const check =
    (ok: () => boolean, name: string): Handler =>
    (req, res) => {
      const verbose = new URL(req.url ?? '/', 'http://localhost').searchParams.has('verbose');
      const passed = ok();
      const body = verbose
        ? JSON.stringify({ [name]: passed, ...checks.details?.() }, null, 2) + '\n'
        : passed
          ? 'ok\n'
          : `${name} failed\n`;
      send(res, passed ? 200 : 503, body, verbose ? 'application/json' : 'text/plain; charset=utf-8');
    };
  return serve(
    {
      '/healthz': check(checks.live, 'live'),
      '/livez': check(checks.live, 'live'),
      '/readyz': check(checks.ready, 'ready'),
      // GET shows the level; PUT with a body of error|warn|info|debug changes it.
      '/loglevel': async (req, res) => {
        if (req.method === 'GET') {
          send(res, 200, `${log.level}\n`);
          return;
        }
        if (req.method !== 'PUT' && req.method !== 'POST') {
          send(res, 405, 'use GET or PUT\n');
          return;
        }
        // The health port is reachable by the kubelet from outside the pod; changing the level
        // is for someone inside it (kubectl exec, or kubectl port-forward, which arrives on
        // loopback).
        if (!isLoopback(req.socket.remoteAddress)) {
          send(res, 403, 'change the log level from inside the pod (kubectl port-forward or exec)\n');
          return;
        }
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const level = body.trim();
        if (!isLogLevel(level)) {
          send(res, 400, 'level must be error, warn, info or debug\n');
          return;
        }
        setLogLevel(log, level);
        log.info('log level changed', { level });
        send(res, 200, `${level}\n`);
      },
    },
    log,
  );
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A heartbeat of the event loop: live() fails if the loop hasn't turned for `maxStallMs`. */
export function eventLoopHeartbeat(maxStallMs: number): { live: () => boolean; stop: () => void } {
  let last = Date.now();
  const timer = setInterval(() => (last = Date.now()), 1000);
  timer.unref();
  return { live: () => Date.now() - last < maxStallMs, stop: () => clearInterval(timer) };
}
