import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root, whatever the current directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const clusterScripts = path.join(repoRoot, 'test', 'cluster');

/**
 * The settings of the end-to-end suite's own local cluster (test/cluster/e2e.env): its directory
 * and ports, never those of the cluster `make up` made. The global setup puts them in the
 * environment; a variable already there wins.
 */
export const e2eClusterSettings: Readonly<Record<string, string>> = Object.fromEntries(
  readFileSync(path.join(clusterScripts, 'e2e.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);

/** The local cluster's directory: the suite's own (e2e.env), unless FURROW_CLUSTER_DIR says. */
export const clusterDir = path.resolve(
  repoRoot,
  process.env.FURROW_CLUSTER_DIR ?? e2eClusterSettings.FURROW_CLUSTER_DIR ?? '.cluster-e2e',
);
export const localKubeconfig = path.join(clusterDir, 'kubeconfig');
/** Each e2e test's operator log, kept until the cluster goes. */
export const e2eLogDir = path.join(clusterDir, 'e2e-logs');
export const kubectlPath = path.join(repoRoot, 'bin', 'kubectl');
export const helmPath = path.join(repoRoot, 'bin', 'helm');
