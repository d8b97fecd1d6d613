// Plain HTTPS requests to the API server with a KubeConfig's credentials, for what the typed
// clients do badly: streams (pod logs, furrow-api's log subresource) that must be piped byte for
// byte and aborted, and paths no generated client knows (aggregated APIs). Every kubeconfig
// authentication method works: client-node's applyToHTTPSOptions adds certificates, tokens and
// exec-plugin credentials, fresh on every request.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { group, pipelineRunNames, version } from '../resources/names.ts';
import type { PipelineRun } from '../resources/types.ts';

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. /api/v1/namespaces/a/pods/b/log?container=c. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Aborts a request whose response headers take longer (a stream's body may take forever). */
  timeoutMs?: number;
}

/** A Kubernetes Status (or any non-2xx answer), with the server's own message. */
export class KubeHttpError extends Error {
  readonly code: number;
  readonly reason: string | undefined;
  constructor(code: number, message: string, reason?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

/** Sends the request; resolves with the response as a stream, whatever its status code. */
export async function kubeRequest(kc: KubeConfig, req: RawRequest): Promise<IncomingMessage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no Kubernetes cluster configured (kubeconfig has no current cluster)');
  const url = new URL(req.path, cluster.server);
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const options: https.RequestOptions = {
    method: req.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {
      accept: 'application/json, */*',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...req.headers,
    },
  };
  await kc.applyToHTTPSOptions(options);
  return await new Promise<IncomingMessage>((resolve, reject) => {
    const request = https.request(options, resolve);
    const timer =
      req.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => request.destroy(new Error(`no answer from ${url.host} within ${req.timeoutMs} ms`)),
            req.timeoutMs,
          );
    request.once('response', () => clearTimeout(timer));
    request.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (req.signal) {
      if (req.signal.aborted) request.destroy(new Error('aborted'));
      req.signal.addEventListener('abort', () => request.destroy(new Error('aborted')), { once: true });
    }
    request.end(body);
  });
}

/** Reads a whole (small) response body as text. */
export async function readBody(res: IncomingMessage, limit = 4 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The KubeHttpError a non-2xx response stands for, from its Status body when it has one. */
export async function errorOf(res: IncomingMessage): Promise<KubeHttpError> {
  const code = res.statusCode ?? 0;
  const text = await readBody(res).catch(() => '');
  try {
    const status = JSON.parse(text) as { message?: unknown; reason?: unknown };
    if (typeof status.message === 'string')
      return new KubeHttpError(
        code,
        status.message,
        typeof status.reason === 'string' ? status.reason : undefined,
      );
  } catch {
    // not JSON: the text itself says what went wrong
  }
  return new KubeHttpError(code, text.trim() || `HTTP ${code}`);
}

/** A JSON request: the parsed body of a 2xx answer; KubeHttpError for any other. */
export async function kubeJson<T>(kc: KubeConfig, req: RawRequest): Promise<T> {
  const res = await kubeRequest(kc, { timeoutMs: 30_000, ...req });
  if ((res.statusCode ?? 0) >= 300) throw await errorOf(res);
  return JSON.parse(await readBody(res)) as T;
}

/** kubeJson, but undefined for a 404. */
export async function kubeJsonOrNotFound<T>(kc: KubeConfig, req: RawRequest): Promise<T | undefined> {
  try {
    return await kubeJson<T>(kc, req);
  } catch (err) {
    if (err instanceof KubeHttpError && err.code === 404) return undefined;
    throw err;
  }
}

/** The PipelineRun, or undefined when there is none of that name (furrow-api and the plugin). */
export function readPipelineRun(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<PipelineRun | undefined> {
  const [ns, n] = [encodeURIComponent(namespace), encodeURIComponent(name)];
  return kubeJsonOrNotFound<PipelineRun>(kc, {
    path: `/apis/${group}/${version}/namespaces/${ns}/${pipelineRunNames.plural}/${n}`,
  });
}
