// furrow-api on the cluster under test, as `make up` runs it: a process here with a token of
// the chart's furrow-api ServiceAccount, the chart's RBAC, Service, APIService and aggregated
// ClusterRoles applied from `helm template`, and the Service's endpoint at this host's address
// (APIService endpoints can't be loopback; the API server dials it). The serving certificate is
// the local cluster's (test/cluster/pki.sh). Everything is removed after the test, the
// APIService first: an unavailable aggregated API breaks discovery, and with it namespace
// deletion, for every other test.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { helmTemplate } from './helm.ts';
import { kubectl, waitFor } from './kube.ts';
import type { LogLine } from './operator.ts';
import { clusterDir, repoRoot } from './paths.ts';
import { serviceAccountKubeconfig } from './release.ts';

export const apiNamespace = 'furrow-system';
export const apiServiceName = 'v1alpha1.api.furrow.dev';

/** The host's primary address (its default route's source), as test/cluster/lib.sh finds it. */
export function hostAddress(): string {
  const route = execFileSync('ip', ['-4', 'route', 'get', '1.1.1.1'], { encoding: 'utf8' });
  const match = / src (\d+\.\d+\.\d+\.\d+)/.exec(route);
  if (!match?.[1]) throw new Error(`no host address in: ${route}`);
  return match[1];
}

function apply(manifest: string): void {
  const result = kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest);
  if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr}`);
}

export interface FurrowApi {
  logs: LogLine[];
  port: number;
}

/** `env`: extra environment, e.g. the local object store's (localObjectStore().env) for archives. */
export async function startFurrowApi(t: TestContext, env: Record<string, string> = {}): Promise<FurrowApi> {
  const pki = path.join(clusterDir, 'pki');
  const port = Number(process.env.FURROW_API_PORT ?? '18088');
  const address = hostAddress();
  kubectl(['create', 'namespace', apiNamespace]); // exists already: fine
  const chartObjects = helmTemplate([
    '--set-file',
    `api.tls.cert=${pki}/furrow-api.crt`,
    '--set-file',
    `api.tls.key=${pki}/furrow-api.key`,
    '--set-file',
    `api.tls.caBundle=${pki}/ca.crt`,
    '--show-only',
    'templates/api-rbac.yaml',
    '--show-only',
    'templates/api-apiservice.yaml',
    '--show-only',
    'templates/aggregate-roles.yaml',
  ]);
  apply(chartObjects);
  // The chart's Service selects furrow-api pods; none run here, and no endpoint controller
  // does either: its endpoint is this process, at the host's address.
  apply(`
apiVersion: v1
kind: Endpoints
metadata: {name: furrow-api, namespace: ${apiNamespace}}
subsets: [{addresses: [{ip: "${address}"}], ports: [{name: https, port: ${port}}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: furrow-api-host
  namespace: ${apiNamespace}
  labels: {kubernetes.io/service-name: furrow-api, endpointslice.kubernetes.io/managed-by: e2e.furrow.dev}
addressType: IPv4
endpoints: [{addresses: ["${address}"], conditions: {ready: true}}]
ports: [{name: https, port: ${port}, protocol: TCP}]
`);
  const kubeconfig = serviceAccountKubeconfig(t, 'furrow-api', apiNamespace);
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'src', 'api', 'main.ts'),
      '--kubeconfig',
      kubeconfig,
      '--bind-address',
      `127.0.0.1,${address}`,
      '--secure-port',
      String(port),
      '--tls-cert-file',
      `${pki}/furrow-api.crt`,
      '--tls-private-key-file',
      `${pki}/furrow-api.key`,
      '--log-level',
      'debug',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } },
  );
  const logs: LogLine[] = [];
  let buffered = '';
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ message: line });
      }
    }
  });
  t.after(async () => {
    kubectl(['delete', 'apiservice', apiServiceName, '--ignore-not-found']);
    // The rest too, so that a chart installed later (make up, make-up.test.ts) owns its own.
    kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], chartObjects);
    kubectl([
      'delete',
      'endpoints,endpointslices',
      '-n',
      apiNamespace,
      'furrow-api',
      'furrow-api-host',
      '--ignore-not-found',
    ]);
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const available = (): boolean => {
    if (child.exitCode !== null)
      throw new Error(`furrow-api exited ${child.exitCode}: ${JSON.stringify(logs.slice(-5))}`);
    const result = kubectl([
      'get',
      'apiservice',
      apiServiceName,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Available")].status}',
    ]);
    return result.stdout === 'True';
  };
  await waitFor('the APIService Available', () => Promise.resolve(available()), { timeoutMs: 60_000 });
  return { logs, port };
}
