// The chart installed on the cluster under test, used the way a user uses it: helm against the
// cluster, a kubeconfig holding a token of the chart's ServiceAccount (TokenRequest), kubectl
// with that identity, and the operator's settings read from the Deployment the chart rendered.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import { kubeConfig, kubeconfigPath, kubectl, statusCode, type KubectlResult } from './kube.ts';
import { helmPath, kubectlPath, repoRoot } from './paths.ts';

function run(binary: string, args: string[], kubeconfig: string, input?: string): KubectlResult {
  const result = spawnSync(binary, args, {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** bin/helm against the cluster under test, as its admin. Never throws on exit codes. */
export function helmOnCluster(args: string[]): KubectlResult {
  return run(helmPath, args, kubeconfigPath());
}

/** bin/kubectl with another kubeconfig (another identity). Never throws on exit codes. */
export function kubectlAs(kubeconfig: string, args: string[]): KubectlResult {
  return run(kubectlPath, args, kubeconfig);
}

/**
 * A kubeconfig for the cluster under test (its server and CA) whose user is a ServiceAccount,
 * with a token from `kubectl create token` (the TokenRequest API). Removed after the test.
 */
export function serviceAccountKubeconfig(t: TestContext, serviceAccount: string, namespace: string): string {
  const token = kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration=1h']);
  if (token.code !== 0) throw new Error(`kubectl create token failed: ${token.stderr}`);
  const cluster = kubeConfig().getCurrentCluster();
  if (!cluster) throw new Error(`no current cluster in ${kubeconfigPath()}`);
  const caData =
    cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const user = `system:serviceaccount:${namespace}:${serviceAccount}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster.name,
        cluster: {
          server: cluster.server,
          ...(caData ? { 'certificate-authority-data': caData } : {}),
          ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
    users: [{ name: user, user: { token: token.stdout.trim() } }],
    contexts: [{ name: user, context: { cluster: cluster.name, user, namespace } }],
    'current-context': user,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'furrow-sa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, dump(config), { mode: 0o600 });
  return file;
}

/**
 * The environment the chart gives the operator container: its literal variables, and the
 * downward-API ones (POD_NAME, POD_NAMESPACE) as a pod named `podName` would see them.
 */
export function deploymentEnv(deployment: k8s.V1Deployment, podName: string): Record<string, string> {
  const container = deployment.spec?.template.spec?.containers[0];
  const env: Record<string, string> = {};
  for (const variable of container?.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (field === 'metadata.name') env[variable.name] = podName;
    else if (field === 'metadata.namespace') env[variable.name] = deployment.metadata?.namespace ?? '';
  }
  return env;
}

/** Whether the object `read` reads is gone: true on 404, false when it is still there. */
export async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (err) {
    if (statusCode(err) === 404) return true;
    throw err;
  }
}
