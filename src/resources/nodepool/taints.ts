// The taints and labels a NodePool keeps on its nodes, with the defaults the API documents.
import type { NodePool } from '../types.ts';
import { poolLabel } from '../labels.ts';
import type { Taint } from '../../kube/json.ts';

/** spec.taints, or the default: one NoSchedule taint furrow.dev/pool=<name>. */
export function poolTaints(pool: NodePool): Taint[] {
  const name = pool.metadata.name ?? '';
  const taints = pool.spec.taints;
  if (taints === undefined) return [{ key: poolLabel, value: name, effect: 'NoSchedule' }];
  return taints.map((t) => ({
    key: t.key,
    ...(t.value !== undefined ? { value: t.value } : {}),
    effect: t.effect,
  }));
}

/** spec.labels plus furrow.dev/pool=<name>, which is always there (runner pods select it). */
export function poolLabels(pool: NodePool): Record<string, string> {
  return { ...pool.spec.labels, [poolLabel]: pool.metadata.name ?? '' };
}
