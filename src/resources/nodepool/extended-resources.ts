// Which extended resources (GPUs, FPGAs, ... anything a device plugin advertises) a run may
// request on a pool: only those its runner.allowedExtendedResources names. Pure.
import type { NodePool, PipelineRun } from '../types.ts';

const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Anything but cpu, memory, ephemeral-storage and hugepages-* (e.g. nvidia.com/gpu). */
export function isExtendedResource(name: string): boolean {
  return !standardResources.has(name) && !name.startsWith('hugepages-');
}

/** The extended resources a run's own spec requests or limits (spec, steps, services), sorted. */
export function extendedResourcesOf(spec: PipelineRun['spec']): string[] {
  const names = new Set<string>();
  for (const r of [
    spec.resources,
    ...spec.steps.map((s) => s.resources),
    ...(spec.services ?? []).map((s) => s.resources),
  ]) {
    for (const name of [...Object.keys(r?.requests ?? {}), ...Object.keys(r?.limits ?? {})])
      if (isExtendedResource(name)) names.add(name);
  }
  return [...names].sort();
}

/** Those of `requested` the pool doesn't allow (runner.allowedExtendedResources; unset: none). */
export function disallowedExtendedResources(pool: NodePool, requested: readonly string[]): string[] {
  const allowed = new Set(pool.spec.runner?.allowedExtendedResources ?? []);
  return requested.filter((name) => !allowed.has(name));
}
