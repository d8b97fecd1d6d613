// furrow-api's entry point: options, logger, the front proxy's settings, the HTTPS servers,
// signals. A process of its own (same image as the operator, its own Deployment): the start of
// Furrow's HTTP API, served to users through the kube-apiserver as api.furrow.dev (ADR 11).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { loadKubeConfig } from '../kube/client.ts';
import { describeError } from '../kube/errors.ts';
import { kubeJson } from '../kube/raw.ts';
import { createLogger } from '../observability/logger.ts';
import { createObjectStore } from '../store/create.ts';
import { ArchiveReader } from './archive.ts';
import { frontProxyConfigFrom, type FrontProxyConfig } from './authn.ts';
import { SubjectAccessReviewAuthorizer } from './authz.ts';
import { KubeClusterReader } from './live.ts';
import { apiHelpText, OptionsError, parseApiOptions } from './options.ts';
import { createHandler } from './routes.ts';
import { createApiServer, listenOn, peerOf, updateTls } from './server.ts';

const authConfigMap = '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication';

async function main(): Promise<number> {
  let options;
  try {
    options = parseApiOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    process.stderr.write(`furrow-api: ${err.message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${apiHelpText()}\n`);
    return 0;
  }
  const log = createLogger(options.logLevel, options.logFormat).child({ component: 'furrow-api' });
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled promise rejection; exiting', { error: describeError(reason) });
    process.exit(70);
  });
  let kc;
  let cert: string;
  let key: string;
  try {
    kc = loadKubeConfig(options.kubeconfig);
    cert = readFileSync(options.tlsCertFile, 'utf8');
    key = readFileSync(options.tlsKeyFile, 'utf8');
  } catch (err) {
    log.error('could not start', { error: describeError(err) });
    return 1;
  }

  let frontProxy: FrontProxyConfig | undefined;
  // Without a store, logs are read from pods only and the archive answers 503.
  const store = createObjectStore(options);
  log.info(store ? 'reading archived logs from the object store' : 'no object store: live logs only', {
    bucket: options.objectStoreBucket,
  });
  const archive = new ArchiveReader(store);
  const handler = createHandler({
    log,
    frontProxy: () => frontProxy,
    peer: peerOf,
    authorizer: new SubjectAccessReviewAuthorizer(kc, options.authorizationCacheMs),
    cluster: new KubeClusterReader(kc),
    archive,
  });
  const servers: Server[] = [];
  try {
    for (const address of options.bindAddresses) {
      const server = createApiServer({ cert, key, clientCA: undefined }, handler);
      await listenOn(server, options.securePort, address);
      servers.push(server);
    }
  } catch (err) {
    log.error('could not open the HTTPS port', { port: options.securePort, error: describeError(err) });
    return 1;
  }
  log.info('serving', { addresses: options.bindAddresses, port: options.securePort });

  // The front proxy's CA and header names: read at start (retried until the API server
  // answers), then every minute, so a rotated CA is picked up without a restart.
  let timer: NodeJS.Timeout | undefined;
  const refresh = async (): Promise<void> => {
    try {
      const cm = await kubeJson<{ data?: Record<string, string> }>(kc, { path: authConfigMap });
      const next = frontProxyConfigFrom(cm.data);
      if (!next)
        throw new Error(
          'it has no requestheader-client-ca-file: the API server runs without front proxy flags',
        );
      if (next.clientCA !== frontProxy?.clientCA) {
        for (const server of servers) updateTls(server, { cert, key, clientCA: next.clientCA });
        log.info('front proxy settings read', { allowedNames: next.allowedNames });
      }
      frontProxy = next;
      timer = setTimeout(() => void refresh(), 60_000);
    } catch (err) {
      log.warn('cannot read kube-system/extension-apiserver-authentication; retrying', {
        error: describeError(err),
      });
      timer = setTimeout(() => void refresh(), frontProxy ? 60_000 : 2_000);
    }
  };
  void refresh();

  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      clearTimeout(timer);
      for (const server of servers) {
        server.close();
        server.closeAllConnections();
      }
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

process.exitCode = await main();
