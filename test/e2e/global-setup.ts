// Runs once per `node --test` invocation, in the runner process, before any test file.
// Uses the cluster named by FURROW_E2E_KUBECONFIG when set (kind, a real cluster); otherwise
// the suite's own local cluster (test/cluster/e2e.env: its own directory and ports, never the
// cluster `make up` made), started here or reused when an earlier run kept it. Only a cluster
// this run started is torn down, and it is torn down whether the tests passed or not.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { clusterDir, clusterScripts, e2eClusterSettings, localKubeconfig } from '../support/paths.ts';

let startedHere = false;

export function globalSetup(): void {
  if (process.env.FURROW_E2E_KUBECONFIG) {
    process.env.KUBECONFIG = process.env.FURROW_E2E_KUBECONFIG;
    return;
  }
  // The test files inherit this environment: the cluster scripts, the etcd and bench helpers
  // and `make up` under test all find the suite's cluster through it.
  for (const [name, value] of Object.entries(e2eClusterSettings)) process.env[name] ??= value;
  process.env.FURROW_CLUSTER_DIR = clusterDir;
  let running = true;
  try {
    execFileSync(path.join(clusterScripts, 'status.sh'), { stdio: 'ignore' });
  } catch {
    running = false;
  }
  execFileSync(path.join(clusterScripts, 'up.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
  startedHere = !running && process.env.FURROW_E2E_KEEP_CLUSTER !== '1';
  process.env.KUBECONFIG = localKubeconfig;
  process.env.FURROW_E2E_KUBECONFIG = localKubeconfig;
}

export function globalTeardown(): void {
  if (startedHere) {
    execFileSync(path.join(clusterScripts, 'down.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
