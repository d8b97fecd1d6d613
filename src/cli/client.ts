// The plugin's requests, all through the Kubernetes API server with the user's kubeconfig (so
// every authentication method works and RBAC decides): the PipelineRun from furrow.dev, its
// logs and archive listing from furrow-api's aggregated api.furrow.dev.
import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { errorOf, kubeJsonOrNotFound, kubeRequest, KubeHttpError, readPipelineRun } from '../kube/raw.ts';
import type { AttemptManifest } from '../resources/logs/keys.ts';
import type { PipelineRun } from '../resources/types.ts';

export interface ArchivedRun {
  uid: string;
  attempts: AttemptManifest[];
}

export interface LogRequest {
  container: string;
  attempt?: number | undefined;
  uid?: string | undefined;
  follow: boolean;
  timestamps: boolean;
}

export interface LogsClient {
  getRun(namespace: string, name: string): Promise<PipelineRun | undefined>;
  archive(namespace: string, name: string, uid?: string): Promise<ArchivedRun[]>;
  /** The log stream; KubeHttpError with the server's answer otherwise. */
  openLog(namespace: string, name: string, request: LogRequest): Promise<Readable>;
}

/** A message for the user, and the exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** What an error from the API server means to someone reading logs. */
export function explain(err: unknown, what: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof KubeHttpError) {
    if (err.code === 401)
      return new CliError(
        `${what}: unauthorized: your kubeconfig's credentials were refused (${err.message})`,
      );
    if (err.code === 403) return new CliError(`${what}: forbidden: ${err.message}`);
    if (err.code === 503 || err.code === 502 || err.code === 504)
      return new CliError(
        `${what}: furrow-api is unavailable (${err.message}); see kubectl get apiservice v1alpha1.api.furrow.dev`,
      );
    if (err.code === 404 && /could not find the requested resource/.test(err.message))
      return new CliError(
        `${what}: this cluster does not serve api.furrow.dev: is Furrow's chart (furrow-api) installed?`,
      );
    return new CliError(`${what}: ${err.message}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`${what}: cannot reach the Kubernetes API server: ${message}`);
}

const enc = encodeURIComponent;

export class KubeLogsClient implements LogsClient {
  private readonly kc: KubeConfig;
  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  getRun(namespace: string, name: string): Promise<PipelineRun | undefined> {
    return readPipelineRun(this.kc, namespace, name);
  }

  async archive(namespace: string, name: string, uid?: string): Promise<ArchivedRun[]> {
    const query = uid ? `?uid=${enc(uid)}` : '';
    const body = await kubeJsonOrNotFound<{ runs?: ArchivedRun[] }>(this.kc, {
      path: `/apis/api.furrow.dev/v1alpha1/namespaces/${enc(namespace)}/pipelineruns/${enc(name)}/archive${query}`,
    });
    return body?.runs ?? [];
  }

  async openLog(namespace: string, name: string, request: LogRequest): Promise<Readable> {
    const query = new URLSearchParams({ container: request.container });
    if (request.attempt !== undefined) query.set('attempt', String(request.attempt));
    if (request.uid) query.set('uid', request.uid);
    if (request.follow) query.set('follow', 'true');
    if (request.timestamps) query.set('timestamps', 'true');
    const res = await kubeRequest(this.kc, {
      path: `/apis/api.furrow.dev/v1alpha1/namespaces/${enc(namespace)}/pipelineruns/${enc(name)}/log?${query.toString()}`,
      headers: { accept: 'text/plain, application/json' },
      timeoutMs: 60_000,
    });
    if ((res.statusCode ?? 0) >= 300) throw await errorOf(res);
    return res;
  }
}
