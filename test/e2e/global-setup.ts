// Runs once per `node --test` invocation, in the runner process, before any test file.
// Uses the cluster named by FURROW_E2E_KUBECONFIG when set (kind, a real cluster); otherwise
// starts the local cluster, or reuses one that is already up. Only a cluster this run started
// is torn down, and it is torn down whether the tests passed or not.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { clusterScripts, localKubeconfig } from '../support/paths.ts';

let startedHere = false;

export function globalSetup(): void {
  if (process.env.FURROW_E2E_KUBECONFIG) {
    process.env.KUBECONFIG = process.env.FURROW_E2E_KUBECONFIG;
    return;
  }
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
