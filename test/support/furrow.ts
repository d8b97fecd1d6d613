// End-to-end helpers for Furrow's own resources: install the CRDs from crds/, and create,
// update the status of, and delete PipelineRuns and NodePools whatever their scope.
import { kubectl, custom, statusCode, waitFor } from './kube.ts';
import { repoRoot } from './paths.ts';
import path from 'node:path';
import type { V1Status } from '@kubernetes/client-node';
import {
  group,
  nodePoolNames,
  pipelineRunNames,
  version,
  type KindNames,
} from '../../src/resources/names.ts';
import type { Manifest } from './fixtures.ts';

export const crdsDir = path.join(repoRoot, 'crds');

/** Applies crds/ (the cluster may run older ones) and waits until both kinds are Established. */
export async function installCrds(): Promise<void> {
  const applied = kubectl(['apply', '--server-side', '--force-conflicts', '-f', crdsDir]);
  if (applied.code !== 0) throw new Error(`kubectl apply -f crds/ failed: ${applied.stderr}`);
  await waitFor('CRDs to be Established', async () => {
    const result = kubectl(['wait', '--for', 'condition=Established', '--timeout=5s', '-f', crdsDir]);
    return Promise.resolve(result.code === 0);
  });
}

function namesOf(kind: string): KindNames {
  if (kind === pipelineRunNames.kind) return pipelineRunNames;
  if (kind === nodePoolNames.kind) return nodePoolNames;
  throw new Error(`not a Furrow kind: ${kind}`);
}

interface Target {
  kind: string;
  name: string;
}

function request(target: Target, namespace: string) {
  const names = namesOf(target.kind);
  return {
    group,
    version,
    plural: names.plural,
    cluster: names.scope === 'Cluster',
    namespace,
    name: target.name,
  };
}

/** Creates the object with the strict field validation kubectl uses; PipelineRuns in `namespace`. */
export async function createObject(manifest: Manifest, namespace: string): Promise<Manifest> {
  const r = request({ kind: manifest.kind, name: manifest.metadata.name }, namespace);
  const common = {
    group: r.group,
    version: r.version,
    plural: r.plural,
    body: manifest,
    fieldValidation: 'Strict',
  };
  const created: unknown = r.cluster
    ? await custom().createClusterCustomObject(common)
    : await custom().createNamespacedCustomObject({ ...common, namespace });
  return created as Manifest;
}

/** Replaces the status (through the status subresource) of an object created earlier. */
export async function replaceStatus(current: Manifest, status: unknown, namespace: string): Promise<void> {
  const r = request({ kind: current.kind, name: current.metadata.name }, namespace);
  const body = { ...current, status };
  const common = { group: r.group, version: r.version, plural: r.plural, name: r.name, body };
  if (r.cluster) await custom().replaceClusterCustomObjectStatus(common);
  else await custom().replaceNamespacedCustomObjectStatus({ ...common, namespace });
}

/** Deletes the object; a missing one is fine. */
export async function deleteObject(target: Target, namespace: string): Promise<void> {
  const r = request(target, namespace);
  const common = { group: r.group, version: r.version, plural: r.plural, name: r.name };
  try {
    if (r.cluster) await custom().deleteClusterCustomObject(common);
    else await custom().deleteNamespacedCustomObject({ ...common, namespace });
  } catch (err) {
    if (statusCode(err) !== 404) throw err;
  }
}

export interface Refusal {
  code: number | undefined;
  /** The Status message: "PipelineRun.furrow.dev \"x\" is invalid: [spec.pool: Required value, ...]". */
  message: string;
  /** The fields the Status's causes name, one per error. */
  fields: string[];
}

/** What the API server said when it refused a request. */
export function refusal(err: unknown): Refusal {
  const body: unknown = (err as { body?: unknown }).body;
  let message = err instanceof Error ? err.message : String(err);
  let fields: string[] = [];
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as V1Status;
    message = parsed.message ?? message;
    fields = (parsed.details?.causes ?? []).flatMap((cause) => (cause.field ? [cause.field] : []));
  } catch {
    // Not a Status: keep the exception's own message.
  }
  return { code: statusCode(err), message, fields };
}
