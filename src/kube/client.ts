// The operator's connection to the API server: one KubeConfig whose requests share a pooled
// HTTP dispatcher, and API clients whose every request is rate limited, timed out, and
// counted by verb, resource and status code.
import * as k8s from '@kubernetes/client-node';
import { Readable } from 'node:stream';
import { fetch, type Dispatcher, type Response } from 'undici';
import { requestInfo } from './request-info.ts';
import { TokenBucket } from './token-bucket.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * client-node 2.0.1 builds a new undici Agent for every request and every watch, so no
 * connection is ever reused: each call pays a TCP and TLS handshake, and idle sockets pile up
 * until their keep-alive expires. This KubeConfig keeps the first Agent and hands it to every
 * later request. Credentials that travel as headers (tokens) still refresh per request; client
 * certificates are read once.
 */
export class PooledKubeConfig extends k8s.KubeConfig {
  private pooled: Dispatcher | undefined;

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (!this.pooled) {
      this.pooled = fresh;
      return;
    }
    if (fresh !== this.pooled) {
      context.setDispatcher(this.pooled);
      void fresh.close().catch(() => undefined);
    }
  }

  /** Closes pooled connections (at shutdown). */
  async closeConnections(): Promise<void> {
    const pooled = this.pooled;
    this.pooled = undefined;
    await pooled?.destroy().catch(() => undefined);
  }
}

/** Loads $KUBECONFIG / ~/.kube/config / in-cluster config, or the file given. */
export function loadKubeConfig(file?: string): PooledKubeConfig {
  const kc = new PooledKubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured (kubeconfig has no current cluster)');
  return kc;
}

export interface ClientOptions {
  /** Sustained requests a second to the API server (client-side limit). */
  qps: number;
  burst: number;
  /** A request that takes longer is aborted. */
  timeoutMs: number;
}

/** A request refused because this process no longer leads: see KubeClients.fence(). */
export class FencedError extends Error {}

/** Sends requests through client-node's fetch library, adding the limit, timeout and metrics. */
class InstrumentedHttpLibrary implements k8s.HttpLibrary {
  fenced: string | undefined;
  private readonly inner = new k8s.IsomorphicFetchHttpLibrary();
  private readonly bucket: TokenBucket;
  private readonly metrics: Metrics;
  private readonly timeoutMs: number;

  constructor(metrics: Metrics, options: ClientOptions) {
    this.bucket = new TokenBucket(options.qps, options.burst);
    this.metrics = metrics;
    this.timeoutMs = options.timeoutMs;
  }

  send(request: k8s.RequestContext): k8s.Observable<k8s.ResponseContext> {
    return new k8s.Observable(this.sendAsync(request));
  }

  /** A streamed GET: the same limit, fence and counting, the body left unread. */
  async stream(request: k8s.RequestContext, signal: AbortSignal): Promise<Response> {
    await this.bucket.take();
    if (this.fenced !== undefined)
      throw new FencedError(`not sending GET ${request.getUrl()}: ${this.fenced}`);
    const info = requestInfo('GET', request.getUrl());
    try {
      const response = await fetch(request.getUrl(), {
        method: 'GET',
        headers: request.getHeaders(),
        dispatcher: request.getDispatcher(),
        signal,
      });
      this.metrics.apiRequests.inc({ ...info, code: String(response.status) });
      return response;
    } catch (err) {
      this.metrics.apiRequests.inc({ ...info, code: 'error' });
      throw err;
    }
  }

  private async sendAsync(request: k8s.RequestContext): Promise<k8s.ResponseContext> {
    await this.bucket.take();
    if (this.fenced !== undefined)
      throw new FencedError(`not sending ${request.getHttpMethod()} ${request.getUrl()}: ${this.fenced}`);
    if (!request.getSignal()) request.setSignal(AbortSignal.timeout(this.timeoutMs));
    const info = requestInfo(request.getHttpMethod(), request.getUrl());
    const stop = this.metrics.apiRequestDuration.startTimer(info);
    try {
      const response = await this.inner.send(request).toPromise();
      this.metrics.apiRequests.inc({ ...info, code: String(response.httpStatusCode) });
      return response;
    } catch (err) {
      this.metrics.apiRequests.inc({ ...info, code: 'error' });
      throw err;
    } finally {
      stop();
    }
  }
}

/** The typed API clients the operator uses, all sharing one connection pool and rate limit. */
export class KubeClients {
  readonly kc: PooledKubeConfig;
  readonly core: k8s.CoreV1Api;
  readonly custom: k8s.CustomObjectsApi;
  readonly coordination: k8s.CoordinationV1Api;
  readonly events: k8s.EventsV1Api;
  readonly networking: k8s.NetworkingV1Api;
  readonly metrics: Metrics;
  private readonly http: InstrumentedHttpLibrary;

  constructor(kc: PooledKubeConfig, metrics: Metrics, options: ClientOptions) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in kubeconfig');
    this.http = new InstrumentedHttpLibrary(metrics, options);
    const configuration = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: this.http,
    });
    this.kc = kc;
    this.metrics = metrics;
    this.core = new k8s.CoreV1Api(configuration);
    this.custom = new k8s.CustomObjectsApi(configuration);
    this.coordination = new k8s.CoordinationV1Api(configuration);
    this.events = new k8s.EventsV1Api(configuration);
    this.networking = new k8s.NetworkingV1Api(configuration);
  }

  /**
   * GET a path and parse the JSON, without client-node's model classes: a LIST of thousands
   * of pods deserialised into models (then back to JSON for the cache) costs several times
   * the memory and CPU of the JSON itself. Errors are ApiExceptions, as from the typed APIs.
   */
  async getJson(path: string, query: Record<string, string | undefined> = {}): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in kubeconfig');
    const url = new URL(cluster.server + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    const request = new k8s.RequestContext(url.toString(), k8s.HttpMethod.GET);
    request.setHeaderParam('Accept', 'application/json');
    await this.kc.applySecurityAuthentication(request);
    const response = await this.http.send(request).toPromise();
    const text = await response.body.text();
    if (response.httpStatusCode >= 400) {
      throw new k8s.ApiException(
        response.httpStatusCode,
        `GET ${path}: HTTP ${response.httpStatusCode}`,
        text,
        response.headers,
      );
    }
    return JSON.parse(text) as unknown;
  }

  /**
   * GET a path whose answer is a byte stream (a container's log): the body as a Node stream,
   * never held whole. Counted and rate limited like every other request; `signal` ends it (no
   * request timeout applies, since a large log may take long). Errors are ApiExceptions.
   */
  async getStream(path: string, query: Record<string, string>, signal: AbortSignal): Promise<Readable> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in kubeconfig');
    const url = new URL(cluster.server + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const request = new k8s.RequestContext(url.toString(), k8s.HttpMethod.GET);
    await this.kc.applySecurityAuthentication(request);
    const response = await this.http.stream(request, signal);
    if (response.status >= 400 || !response.body) {
      const text = await response.text().catch(() => '');
      throw new k8s.ApiException(response.status, `GET ${path}: HTTP ${response.status}`, text, {});
    }
    return Readable.fromWeb(response.body);
  }

  /**
   * Refuses every request from now on (they throw FencedError before leaving the process):
   * a replica that lost the lease must not write, even from a reconcile that was mid-way.
   */
  fence(reason: string): void {
    this.http.fenced = reason;
  }

  unfence(): void {
    this.http.fenced = undefined;
  }
}
