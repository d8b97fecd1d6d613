// Helpers the end-to-end tests share: clients for the cluster under test, a namespace per
// test that is removed afterwards, kubectl, and polling with a clear failure message.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { TestContext } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { kubectlPath, localKubeconfig } from './paths.ts';

export function kubeconfigPath(): string {
  return process.env.FURROW_E2E_KUBECONFIG ?? process.env.KUBECONFIG ?? localKubeconfig;
}

let cachedConfig: k8s.KubeConfig | undefined;
export function kubeConfig(): k8s.KubeConfig {
  if (!cachedConfig) {
    cachedConfig = new k8s.KubeConfig();
    cachedConfig.loadFromFile(kubeconfigPath());
  }
  return cachedConfig;
}

export const core = (): k8s.CoreV1Api => kubeConfig().makeApiClient(k8s.CoreV1Api);
export const batch = (): k8s.BatchV1Api => kubeConfig().makeApiClient(k8s.BatchV1Api);
export const custom = (): k8s.CustomObjectsApi => kubeConfig().makeApiClient(k8s.CustomObjectsApi);

/** A short random suffix for names that must not collide between runs. */
export function suffix(): string {
  return randomBytes(3).toString('hex');
}

/** Creates a namespace for one test and deletes it (without waiting) when the test ends. */
export async function testNamespace(t: TestContext, prefix: string): Promise<string> {
  const name = `e2e-${prefix}-${suffix()}`;
  await core().createNamespace({ body: { metadata: { name, labels: { 'furrow.dev/e2e': 'true' } } } });
  t.after(async () => {
    // Runner pods an operator with an object store made keep the logs finalizer until their
    // logs are archived (ADR 12); the test's operator is gone by now, so let them go.
    const pods = await core()
      .listNamespacedPod({ namespace: name })
      .catch(() => ({ items: [] }));
    for (const pod of pods.items.filter((p) => p.metadata?.finalizers?.includes('furrow.dev/logs')))
      await core()
        .patchNamespacedPod({
          name: pod.metadata?.name ?? '',
          namespace: name,
          body: [{ op: 'remove', path: '/metadata/finalizers' }],
        })
        .catch(() => undefined);
    await core()
      .deleteNamespace({ name })
      .catch(() => undefined);
  });
  // Pods are refused until the service-account controller has made the default account. Right
  // after a test that stops the API server, kube-controller-manager's informers come back on
  // client-go's reflector backoff (up to 30 s, jittered up to twice that): CI's final run saw
  // more than 30 s. The wait allows the whole backoff.
  await waitFor(
    `default service account in ${name}`,
    async () =>
      core()
        .readNamespacedServiceAccount({ name: 'default', namespace: name })
        .catch(() => undefined),
    { timeoutMs: 90_000 },
  );
  return name;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined or false, and returns that.
 * On timeout, fails with `what` and the last error the probe threw, if any.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 200 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the repository's kubectl against the cluster under test. Never throws on exit codes. */
export function kubectl(args: string[], input?: string): KubectlResult {
  const result = spawnSync(kubectlPath, ['--kubeconfig', kubeconfigPath(), ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** The HTTP status of a client-node ApiException, or undefined for other errors. */
export function statusCode(err: unknown): number | undefined {
  return err instanceof k8s.ApiException ? err.code : undefined;
}

export interface RawResponse {
  code: number;
  body: string;
}

/**
 * Sends `body` as it is (already serialised) to the API server: for inputs client-node can't
 * serialise, such as documents nested thousands of levels deep.
 */
export async function rawRequest(method: string, path: string, body: string): Promise<RawResponse> {
  const kc = kubeConfig();
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(`${kc.getCurrentCluster()?.server ?? ''}${path}`);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { ...options, method, headers: { 'Content-Type': 'application/json' }, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
