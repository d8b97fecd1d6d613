// What furrow-api reads from the API server with its own ServiceAccount: the PipelineRun, the
// attempt's runner pod, and the pod's log (pods/log), streamed as the kubelet sends it.
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { PipelineRun } from '../resources/types.ts';
import type { Pod } from '../kube/json.ts';
import { errorOf, kubeJsonOrNotFound, kubeRequest, readPipelineRun } from '../kube/raw.ts';
import { StatusError } from './status.ts';

export interface PodLogOptions {
  follow: boolean;
  timestamps: boolean;
  signal: AbortSignal;
}

/** The reads the log route needs; the routes' unit tests give their own. */
export interface ClusterReader {
  getRun(namespace: string, name: string): Promise<PipelineRun | undefined>;
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** The container's log as a stream; a StatusError with the API server's answer otherwise. */
  openPodLog(
    namespace: string,
    pod: string,
    container: string,
    options: PodLogOptions,
  ): Promise<IncomingMessage>;
}

const enc = encodeURIComponent;

export class KubeClusterReader implements ClusterReader {
  private readonly kc: KubeConfig;
  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  getRun(namespace: string, name: string): Promise<PipelineRun | undefined> {
    return readPipelineRun(this.kc, namespace, name);
  }

  getPod(namespace: string, name: string): Promise<Pod | undefined> {
    return kubeJsonOrNotFound<Pod>(this.kc, {
      path: `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`,
    });
  }

  async openPodLog(
    namespace: string,
    pod: string,
    container: string,
    options: PodLogOptions,
  ): Promise<IncomingMessage> {
    const query = new URLSearchParams({ container });
    if (options.follow) query.set('follow', 'true');
    if (options.timestamps) query.set('timestamps', 'true');
    const res = await kubeRequest(this.kc, {
      path: `/api/v1/namespaces/${enc(namespace)}/pods/${enc(pod)}/log?${query.toString()}`,
      headers: { accept: '*/*' },
      signal: options.signal,
      timeoutMs: 30_000,
    });
    if ((res.statusCode ?? 0) < 300) return res;
    const err = await errorOf(res);
    // The API server's own words (e.g. "container x in pod y is waiting to start"), its code.
    throw new StatusError(
      err.code >= 400 ? err.code : 502,
      `reading pod ${pod}'s log: ${err.message}`,
      err.reason,
    );
  }
}
