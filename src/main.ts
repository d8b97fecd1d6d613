// Entry point: parse options, start the operator, stop cleanly on SIGTERM/SIGINT.
import { hostname } from 'node:os';
import { helpText, OptionsError, parseOptions } from './config/options.ts';
import { describeError } from './kube/errors.ts';
import type { Server } from 'node:http';
import { close, eventLoopHeartbeat, healthServer, listen, metricsServer } from './observability/http.ts';
import { createLogger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { logStoreFrom } from './archive/log-store.ts';
import { FurrowOperator } from './operator.ts';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(process.argv.slice(2), process.env, {
      isTTY: process.stderr.isTTY,
      hostname: hostname(),
    });
  } catch (err) {
    if (err instanceof OptionsError) {
      process.stderr.write(`furrow-operator: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const { options } = parsed;
  const log = createLogger(options.logLevel, options.logFormat);
  // A bug must not silently kill the process or leave it half-working: log, then exit so the
  // Deployment restarts it. An uncaught exception leaves the process in an unknown state, as a
  // rejection does: both exit 70 (EX_SOFTWARE) at once, without the graceful shutdown.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled promise rejection; exiting', { error: describeError(reason) });
    process.exit(70);
  });
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception; exiting', { error: describeError(err) });
    process.exit(70);
  });

  const metrics = new Metrics();
  let operator: FurrowOperator;
  // The framework's constructor reads the default kubeconfig ($KUBECONFIG, ~/.kube/config)
  // whatever we pass: point $KUBECONFIG at --kubeconfig so the flag wins everywhere.
  if (options.kubeconfig) process.env.KUBECONFIG = options.kubeconfig;
  try {
    // A broken kubeconfig must be a clear error, not a stack trace.
    const logStore = logStoreFrom(options);
    if (logStore)
      log.info('archiving logs to the object store', {
        bucket: options.objectStoreBucket,
        endpoint: options.objectStoreEndpoint ?? `AWS S3 in ${options.objectStoreRegion}`,
      });
    else log.info('no object store configured: logs live as long as the runner pods');
    operator = new FurrowOperator(options, log, metrics, logStore);
  } catch (err) {
    log.error('could not start: cannot load the Kubernetes configuration', { error: describeError(err) });
    return 1;
  }
  const heartbeat = eventLoopHeartbeat(10_000);
  const servers: Server[] = [];
  try {
    if (options.metricsPort > 0) {
      const server = metricsServer(metrics.registry, log);
      await listen(server, options.metricsPort, options.bindAddress);
      servers.push(server);
    }
    if (options.healthPort > 0) {
      const server = healthServer(
        { live: heartbeat.live, ready: () => operator.ready(), details: () => operator.details() },
        log,
      );
      await listen(server, options.healthPort, options.bindAddress);
      servers.push(server);
    }
  } catch (err) {
    log.error('could not open the metrics or health port', { error: describeError(err) });
    return 1;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    void operator
      .shutdown(options.shutdownTimeoutMs)
      .then(async (clean) => {
        heartbeat.stop();
        await Promise.all(servers.map(close));
        log.info(clean ? 'stopped' : 'stopped; some reconciles were abandoned at the deadline');
      })
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  log.info('starting furrow operator', {
    namespaces: options.namespaces.length > 0 ? options.namespaces : 'all',
    workers: options.workers,
    instance: options.instance,
  });
  try {
    await operator.start();
  } catch (err) {
    log.error('could not start', { error: describeError(err) });
    return 1;
  }
  return -1;
}

const code = await main();
if (code >= 0) process.exit(code);
