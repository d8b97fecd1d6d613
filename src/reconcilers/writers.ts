// Each controller's writes to the API server, behind a small interface. The writer owns the
// request shapes of client-node (merge-patch headers, preconditions, propagation) and what the
// API server's answers mean: 404 is "gone", 409 a conflict or a uid precondition that no longer
// holds, 403/422/400 on a pod create a refusal (an authorisation 403 marked as maybe passing).
// Reconcilers decide; writers speak
// HTTP. Unit tests use in-memory fakes of these interfaces.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { KubeClients } from '../kube/client.ts';
import { describeError, httpStatus, isAlreadyExists, isConflict, isNotFound } from '../kube/errors.ts';
import type { Pod } from '../kube/json.ts';
import { group, nodePoolNames, pipelineRunNames, version } from '../resources/names.ts';
import { logsFinalizer } from '../resources/api.ts';
import type { Condition, NodePool, NodePoolStatus, PipelineRun } from '../resources/types.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** What became of a status patch made on a resourceVersion. */
export type StatusWrite<T> = { written: T } | 'conflict' | 'gone';

/**
 * What became of a pod create; errors worth retrying (a full quota, a timeout) are thrown.
 * `unauthorized`: the refusal is the authorizer's (RBAC), which may pass (its cache warming
 * after an API server restart), so the reconciler retries a few times before giving up.
 */
export type PodCreate = { created: Pod } | { exists: true } | { refused: string; unauthorized?: true };

export interface PipelineRunWriter {
  createPod(namespace: string, pod: Pod): Promise<PodCreate>;
  /** A pod read past the cache (to see who controls a pod whose name is taken). */
  readPod(namespace: string, name: string): Promise<Pod>;
  /** Deletes the pod of that uid: false when it was already gone or replaced by another. */
  deletePod(
    pod: { namespace: string; name: string; uid: string | undefined },
    gracePeriodSeconds?: number,
  ): Promise<boolean>;
  /** Merge patch of the status subresource on `run`'s resourceVersion. */
  patchStatus(run: PipelineRun, status: Record<string, unknown>): Promise<StatusWrite<PipelineRun>>;
  /** Deletes the run of that uid (its pods follow, by garbage collection): false when gone. */
  deleteRun(run: PipelineRun): Promise<boolean>;
}

export interface NodePoolWriter {
  /** Merge patch of the pool's metadata; gone or conflicting is left to the next notification. */
  patchMetadata(
    name: string,
    metadata: { finalizers: string[]; resourceVersion: string | undefined },
  ): Promise<void>;
  /** Merge patch of the status subresource on `resourceVersion`. */
  patchStatus(
    name: string,
    resourceVersion: string | undefined,
    status: NodePoolStatus,
  ): Promise<StatusWrite<true>>;
}

export interface NodeWriter {
  /** Merge patch of a node (a taint list carries the resourceVersion it was computed from). */
  patchNode(name: string, patch: object): Promise<StatusWrite<true>>;
}

export interface LogArchiveWriter {
  /**
   * Takes the logs finalizer off the pod: false when the pod is gone or its finalizers have
   * changed since the cache saw them (the next notification brings the newer list).
   */
  releasePod(pod: Pod): Promise<boolean>;
  /** Merge patch of the run's status conditions on `run`'s resourceVersion. */
  patchRunConditions(run: PipelineRun, conditions: Condition[]): Promise<StatusWrite<true>>;
}

/**
 * A refusal that retrying the same pod can't overcome (invalid, or denied by admission), or
 * may not (an authorisation 403: `User "..." cannot create resource "pods"`); undefined for
 * errors to throw (a full quota is retried like any error).
 */
export function podCreateRefusal(err: unknown): Extract<PodCreate, { refused: string }> | undefined {
  const code = httpStatus(err);
  if (code !== 422 && code !== 403 && code !== 400) return undefined;
  const text = describeError(err);
  if (code === 403 && /exceeded quota/i.test(text)) return undefined;
  if (code === 403 && /cannot create resource/i.test(text)) return { refused: text, unauthorized: true };
  return { refused: text };
}

/** 404, or 409 from a uid precondition: the object meant is no longer there. */
function goneOrReplaced(err: unknown): boolean {
  return isNotFound(err) || httpStatus(err) === 409;
}

export function pipelineRunWriter(clients: Pick<KubeClients, 'core' | 'custom'>): PipelineRunWriter {
  const { core, custom } = clients;
  const runPath = { group, version, plural: pipelineRunNames.plural };
  return {
    async createPod(namespace, pod) {
      try {
        const created = await core.createNamespacedPod({ namespace, body: pod as never });
        // As JSON, the way the cache holds it (client-node's models carry Dates).
        return { created: JSON.parse(JSON.stringify(created)) as Pod };
      } catch (err) {
        if (isAlreadyExists(err)) return { exists: true };
        const refused = podCreateRefusal(err);
        if (refused === undefined) throw err;
        return refused;
      }
    },
    async readPod(namespace, name) {
      return (await core.readNamespacedPod({ name, namespace })) as Pod;
    },
    async deletePod({ namespace, name, uid }, gracePeriodSeconds) {
      try {
        await core.deleteNamespacedPod({
          name,
          namespace,
          gracePeriodSeconds,
          body: { preconditions: { uid } },
        });
        return true;
      } catch (err) {
        if (!goneOrReplaced(err)) throw err;
        return false;
      }
    },
    async patchStatus(run, status) {
      try {
        const updated: unknown = await custom.patchNamespacedCustomObjectStatus(
          {
            ...runPath,
            namespace: run.metadata.namespace ?? '',
            name: run.metadata.name ?? '',
            body: { metadata: { resourceVersion: run.metadata.resourceVersion }, status },
          },
          mergePatch,
        );
        return { written: updated as PipelineRun };
      } catch (err) {
        if (isConflict(err)) return 'conflict';
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
    async deleteRun(run) {
      try {
        await custom.deleteNamespacedCustomObject({
          ...runPath,
          namespace: run.metadata.namespace ?? '',
          name: run.metadata.name ?? '',
          propagationPolicy: 'Background',
          body: { preconditions: { uid: run.metadata.uid } },
        });
        return true;
      } catch (err) {
        if (!goneOrReplaced(err)) throw err;
        return false;
      }
    },
  };
}

export function nodePoolWriter(clients: Pick<KubeClients, 'custom'>): NodePoolWriter {
  const { custom } = clients;
  const poolPath = { group, version, plural: nodePoolNames.plural };
  return {
    async patchMetadata(name, metadata) {
      try {
        await custom.patchClusterCustomObject({ ...poolPath, name, body: { metadata } }, mergePatch);
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return; // the next notification brings the newer version
        throw new Error(`patching NodePool ${name}: ${describeError(err)}`, { cause: err });
      }
    },
    async patchStatus(name, resourceVersion, status) {
      try {
        await custom.patchClusterCustomObjectStatus(
          { ...poolPath, name, body: { metadata: { resourceVersion }, status } },
          mergePatch,
        );
        return { written: true };
      } catch (err) {
        if (isConflict(err)) return 'conflict';
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
  };
}

export function nodeWriter(clients: Pick<KubeClients, 'core'>): NodeWriter {
  const { core } = clients;
  return {
    async patchNode(name, patch) {
      try {
        await core.patchNode({ name, body: patch }, mergePatch);
        return { written: true };
      } catch (err) {
        if (isConflict(err)) return 'conflict';
        if (isNotFound(err)) return 'gone';
        throw err;
      }
    },
  };
}

export function logArchiveWriter(clients: Pick<KubeClients, 'core' | 'custom'>): LogArchiveWriter {
  const { core } = clients;
  const runs = pipelineRunWriter(clients);
  return {
    async releasePod(pod) {
      const index = pod.metadata?.finalizers?.indexOf(logsFinalizer) ?? -1;
      if (index < 0) return true;
      const path = `/metadata/finalizers/${index}`;
      try {
        // The test makes the removal exact without a resourceVersion: only our entry goes.
        await core.patchNamespacedPod({
          name: pod.metadata?.name ?? '',
          namespace: pod.metadata?.namespace ?? '',
          body: [
            { op: 'test', path, value: logsFinalizer },
            { op: 'remove', path },
          ],
        });
        return true;
      } catch (err) {
        if (isNotFound(err) || httpStatus(err) === 422) return false;
        throw err;
      }
    },
    async patchRunConditions(run, conditions) {
      const written = await runs.patchStatus(run, { conditions });
      return typeof written === 'object' ? { written: true } : written;
    },
  };
}

/** The object a Kubernetes Event is about. */
export function runRef(run: PipelineRun) {
  return { apiVersion: `${group}/${version}`, kind: pipelineRunNames.kind, metadata: run.metadata as never };
}

export function poolRef(pool: NodePool) {
  return { apiVersion: `${group}/${version}`, kind: nodePoolNames.kind, metadata: pool.metadata };
}
