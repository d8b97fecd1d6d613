// The operator's caches in memory, with admission and its indexes, as the controllers' setup
// builds them: for unit tests of reconcilers, admission and the setup modules.
import { setupAdmission } from '../../src/controllers/admission.ts';
import type { Caches, Namespace } from '../../src/informers.ts';
import type { Node, Pod } from '../../src/kube/json.ts';
import type { NodePool, PipelineRun } from '../../src/resources/types.ts';
import { MemoryCache } from './memory-cache.ts';

export interface World {
  caches: Caches & {
    runs: MemoryCache<PipelineRun>;
    pods: MemoryCache<Pod>;
    pools: MemoryCache<NodePool>;
    nodes: MemoryCache<Node>;
    namespaces: MemoryCache<Namespace>;
    nodePods: MemoryCache<Pod>;
  };
  admission: ReturnType<typeof setupAdmission>;
}

export function world(
  o: {
    runs?: PipelineRun[];
    pods?: Pod[];
    pools?: NodePool[];
    nodes?: Node[];
    nodePods?: Pod[];
    scoped?: boolean;
  } = {},
): World {
  const caches = {
    runs: new MemoryCache(o.runs),
    pods: new MemoryCache(o.pods),
    pools: new MemoryCache(o.pools),
    nodes: new MemoryCache(o.nodes),
    namespaces: new MemoryCache<Namespace>([]),
    nodePods: new MemoryCache(o.nodePods),
  };
  return { caches, admission: setupAdmission(caches, o.scoped ?? false) };
}

/** An EventRecorder that keeps "Type Reason: note" lines. */
export function recorder(): {
  events: string[];
  record: (obj: unknown, type: string, reason: string, note: string) => void;
} {
  const events: string[] = [];
  return { events, record: (_obj, type, reason, note) => events.push(`${type} ${reason}: ${note}`) };
}
