import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root, whatever the current directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const clusterScripts = path.join(repoRoot, 'test', 'cluster');
export const localKubeconfig = path.join(repoRoot, '.cluster', 'kubeconfig');
export const kubectlPath = path.join(repoRoot, 'bin', 'kubectl');
export const helmPath = path.join(repoRoot, 'bin', 'helm');
