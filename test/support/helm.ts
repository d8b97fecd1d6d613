// Runs bin/helm on the chart in helm/furrow (for the chart's unit tests: no cluster).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { helmPath, repoRoot } from './paths.ts';

export const chartDir = path.join(repoRoot, 'helm', 'furrow');
export const releaseName = 'furrow';
export const releaseNamespace = 'furrow-system';

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with `args`, never against a cluster (KUBECONFIG points nowhere). */
export function helm(args: string[]): HelmResult {
  const result = spawnSync(helmPath, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '/dev/null' },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` of the chart with extra arguments (-f, --set); throws with helm's message. */
export function helmTemplate(args: string[] = []): string {
  const result = helm(['template', releaseName, chartDir, '--namespace', releaseNamespace, ...args]);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return result.stdout;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** The objects of a multi-document manifest. */
export function parseManifest(text: string): KubeObject[] {
  return loadAll(text).filter((doc): doc is KubeObject => doc !== null && typeof doc === 'object');
}

/** The one object of `kind` (and `name`, when given) in `objects`; throws if not exactly one. */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as KubeObject;
}
