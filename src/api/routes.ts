// furrow-api's routes. Every request but the health checks is authenticated as the front
// proxy's user (authn.ts) and authorized against the run (authz.ts) before anything is read;
// every failure is a Kubernetes Status; nothing a client sends can throw past this file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import type { Logger } from '../observability/logger.ts';
import { describeError } from '../kube/errors.ts';
import { runUidLabel } from '../resources/labels.ts';
import { runnerPodName } from '../resources/runner-pod/naming.ts';
import { authenticate, type FrontProxyConfig, type PeerCertificate, type UserInfo } from './authn.ts';
import type { Authorizer } from './authz.ts';
import type { ArchiveReader } from './archive.ts';
import { apiGroupDoc, apiGroupListDoc, apiResourceListDoc, groupVersion } from './discovery.ts';
import type { ClusterReader } from './live.ts';
import { parseLogQuery, parseUid, type LogQuery } from './params.ts';
import { StatusError, statusOf } from './status.ts';

export interface RouteDeps {
  log: Logger;
  /** The front proxy's settings; undefined until read (furrow-api is not ready then). */
  frontProxy: () => FrontProxyConfig | undefined;
  peer: (req: IncomingMessage) => PeerCertificate;
  authorizer: Authorizer;
  cluster: ClusterReader;
  archive: ArchiveReader;
}

const prefix = `/apis/${groupVersion}/`;
const runPath =
  /^namespaces\/([a-z0-9][-a-z0-9]{0,62})\/pipelineruns\/([a-z0-9][-a-z0-9.]{0,252})\/(log|archive)$/;

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  sendJson(res, err.code, statusOf(err.code, err.message, err.reason));
}

export function createHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = Date.now();
    let user: string | undefined;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://furrow-api');
    } catch {
      url = new URL('https://furrow-api/invalid-url');
    }
    const done = (code: number, error?: string) =>
      deps.log.log(code >= 500 ? 'warn' : 'debug', 'request', {
        method: req.method,
        path: url.pathname,
        user,
        code,
        ms: Date.now() - started,
        ...(error ? { error } : {}),
      });
    handle(deps, req, res, url, (u) => (user = u.username))
      .then(() => done(res.statusCode))
      .catch((err: unknown) => {
        const status =
          err instanceof StatusError ? err : new StatusError(500, `furrow-api failed: ${describeError(err)}`);
        if (!res.headersSent) sendStatus(res, status);
        else res.destroy(); // mid-stream: the client sees a cut, not a wrong ending
        done(status.code, status.message);
      });
  };
}

async function handle(
  deps: RouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  onUser: (user: UserInfo) => void,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/healthz' || path === '/livez') return void res.end('ok');
  if (path === '/readyz') {
    const ready = deps.frontProxy() !== undefined;
    res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'front proxy settings not read yet');
    return;
  }
  if (req.method !== 'GET')
    throw new StatusError(405, `${req.method ?? ''} is not supported: furrow-api serves get only`);
  const config = deps.frontProxy();
  if (!config)
    throw new StatusError(503, 'furrow-api is starting: it has not read the front proxy settings yet');
  const authn = authenticate(deps.peer(req), req.headers, config);
  if ('refused' in authn) throw new StatusError(401, authn.refused);
  onUser(authn.user);
  if (path === '/apis') return sendJson(res, 200, apiGroupListDoc());
  if (path === '/apis/api.furrow.dev') return sendJson(res, 200, apiGroupDoc());
  if (path === `/apis/${groupVersion}`) return sendJson(res, 200, apiResourceListDoc());
  const match = path.startsWith(prefix) ? runPath.exec(path.slice(prefix.length)) : null;
  if (!match) throw new StatusError(404, `no such path: ${path.slice(0, 200)}`);
  const [, namespace = '', name = '', sub] = match;
  // Parameters first: a bad one is a 400 whoever asks.
  const query = sub === 'log' ? parseLogQuery(url.searchParams) : undefined;
  if (sub === 'archive')
    for (const key of url.searchParams.keys())
      if (key !== 'uid') throw new StatusError(400, `unknown query parameter ${key}: archive takes only uid`);
  const uid = sub === 'archive' ? parseUid(url.searchParams) : undefined;
  const decision = await deps.authorizer.canGetRun(authn.user, namespace, name).catch((err: unknown) => {
    throw new StatusError(503, `cannot check authorization (SubjectAccessReview): ${describeError(err)}`);
  });
  if (!decision.allowed)
    throw new StatusError(
      403,
      `pipelineruns.furrow.dev "${name}" is forbidden: User "${authn.user.username}" cannot get resource "pipelineruns" in API group "furrow.dev" in the namespace "${namespace}"${decision.reason ? `: ${decision.reason}` : ''}`,
    );
  if (query) return await serveLog(deps, res, namespace, name, query);
  const runs = await deps.archive.runs(namespace, name, uid);
  sendJson(res, 200, { kind: 'PipelineRunArchive', apiVersion: groupVersion, namespace, name, runs });
}

async function serveLog(
  deps: RouteDeps,
  res: ServerResponse,
  namespace: string,
  name: string,
  query: LogQuery,
): Promise<void> {
  const run = await deps.cluster.getRun(namespace, name);
  const uid = query.uid ?? run?.metadata.uid;
  if (!uid)
    throw new StatusError(
      404,
      `pipelinerun ${namespace}/${name} not found; for a deleted run pass its uid (its archived runs: ${prefix}namespaces/${namespace}/pipelineruns/${name}/archive)`,
    );
  const current = run?.metadata.uid === uid ? run : undefined;
  const ref = { namespace, name, uid };
  const latest = current ? current.status?.attempt : await deps.archive.latestAttempt(ref);
  if (latest === undefined)
    throw new StatusError(
      404,
      current
        ? `pipelinerun ${namespace}/${name} has no attempt yet (phase ${current.status?.phase ?? 'unknown'}): nothing has run`
        : `pipelinerun ${namespace}/${name} with uid ${uid} has no archived logs`,
    );
  const attempt = query.attempt ?? latest;
  if (current && attempt > latest)
    throw new StatusError(
      404,
      `pipelinerun ${namespace}/${name} has no attempt ${attempt}: its attempts are 1 to ${latest}`,
    );
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  const pod = await deps.cluster.getPod(namespace, runnerPodName(name, attempt));
  let body: Readable;
  if (pod && pod.metadata?.labels?.[runUidLabel] === uid) {
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
    if (!names.includes(query.container))
      throw new StatusError(
        404,
        `attempt ${attempt} of pipelinerun ${name} (pod ${pod.metadata.name ?? ''}) has no container "${query.container}"; it has: ${names.join(', ')}`,
      );
    body = await deps.cluster.openPodLog(namespace, pod.metadata.name ?? '', query.container, {
      follow: query.follow,
      timestamps: query.timestamps,
      signal: abort.signal,
    });
  } else {
    body = await deps.archive.open(ref, attempt, query.container, query.timestamps);
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.flushHeaders();
  await new Promise<void>((resolve, reject) =>
    pipeline(body, res, (err) => (err && !abort.signal.aborted ? reject(err) : resolve())),
  );
}
