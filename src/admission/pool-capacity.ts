// What a pool's nodes can still take, read from the caches (ADR 9): each member node's
// allocatable minus the requests of the pods bound to it, the pool's own runs and everyone
// else's (the nodePods cache), and the runs that hold a slot but aren't on a node yet.
// Runner pods are cached without their containers' resources, so a run's requests come from
// the pod Furrow builds for it, computed once per run generation and pool generation.
import type { Cache } from '../kube/cache.ts';
import type { Node, Pod } from '../kube/json.ts';
import { finalPhases, pinnedNodeAnnotation } from '../resources/api.ts';
import { nodeRoom, podRequests, type Amounts } from '../resources/nodepool/capacity.ts';
import { isReadyNode } from '../resources/nodepool/membership.ts';
import type { PoolCapacity } from '../resources/nodepool/queue.ts';
import { buildRunnerPod } from '../resources/runner-pod/build.ts';
import type { NodePool, PipelineRun } from '../resources/types.ts';
import { podsByNode, podsByRunUid } from '../indexes.ts';

export interface CapacityCaches {
  pods: Cache<Pod>;
  nodePods: Cache<Pod>;
}

/** A started run as admission sees it: where its pod is, if anywhere. */
export interface StartedRun {
  run: PipelineRun;
  /** The node of the reservation this process made, when its pod isn't in the cache yet. */
  reservedNode: string | undefined;
  reserved: boolean;
}

const noRequests: Amounts = new Map([['pods', 1]]);

export class RunRequests {
  private readonly memo = new Map<string, { version: string; requests: Amounts }>();

  /** The effective requests of the pod Furrow would build for `run` on `pool`. */
  of(run: PipelineRun, pool: NodePool): Amounts {
    const uid = run.metadata.uid ?? '';
    const version = `${run.metadata.generation ?? 0}/${pool.metadata.generation ?? 0}`;
    const known = this.memo.get(uid);
    if (known?.version === version) return known.requests;
    let requests = noRequests;
    try {
      const pod = buildRunnerPod({ run, pool, attempt: 1, remainingMs: 3_600_000, gitImage: '' });
      requests = podRequests(pod.spec ?? { containers: [] });
    } catch {
      // A run the schema let through but the builder can't build: the plan fails it as
      // invalid; until then it counts as one pod.
    }
    this.memo.set(uid, { version, requests });
    return requests;
  }

  /** Forget runs that are no longer waiting or running (called with the active uids). */
  keepOnly(uids: ReadonlySet<string>): void {
    for (const uid of this.memo.keys()) if (!uids.has(uid)) this.memo.delete(uid);
  }
}

function unfinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Finished runs hold nothing. */
function isActive(run: PipelineRun): boolean {
  return !(run.status?.phase !== undefined && finalPhases.has(run.status.phase));
}

/**
 * The pool's room for computeQueue. `started` are the pool's runs that hold a slot; `waiting`
 * looks up a waiting run by its key, for its requests.
 */
export function poolCapacity(
  caches: CapacityCaches,
  pool: NodePool,
  members: readonly Node[],
  started: readonly StartedRun[],
  waiting: (key: string) => PipelineRun | undefined,
  requests: RunRequests,
): PoolCapacity {
  const bound = new Map<string, Amounts[]>();
  const runnersPerNode = new Map<string, number>();
  const unbound: PoolCapacity['unbound'] = [];
  for (const { run, reserved, reservedNode } of started) {
    if (!isActive(run)) continue;
    const need = requests.of(run, pool);
    const pods = caches.pods.byIndex(podsByRunUid, run.metadata.uid ?? '').filter(unfinished);
    const onNode = pods.find((p) => p.spec?.nodeName);
    const node = onNode?.spec?.nodeName;
    if (node) {
      bound.set(node, [...(bound.get(node) ?? []), need]);
      runnersPerNode.set(node, (runnersPerNode.get(node) ?? 0) + 1);
    } else if (pods.length > 0 || reserved) {
      const pinned = pods[0]?.metadata?.annotations?.[pinnedNodeAnnotation] ?? reservedNode;
      unbound.push(pinned ? { requests: need, node: pinned } : { requests: need });
    }
  }
  const rooms = [...members]
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
    .map((node) => {
      const name = node.metadata?.name ?? '';
      const others = caches.nodePods
        .byIndex(podsByNode, name)
        .map((p) => podRequests(p.spec ?? { containers: [] }));
      return { node, room: nodeRoom(node, [...others, ...(bound.get(name) ?? [])]) };
    });
  return {
    ready: rooms.filter((r) => isReadyNode(r.node)).map((r) => r.room),
    members: rooms.map((r) => nodeRoom(r.node, [])),
    requestsOf: (queued) => {
      const run = waiting(queued.key);
      return run ? requests.of(run, pool) : noRequests;
    },
    unbound,
    runnersPerNode,
  };
}
