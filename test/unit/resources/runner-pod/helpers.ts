// What the runner pod tests share: the pod built from a run and pool, and its containers.
import assert from 'node:assert/strict';
import type { Container, Pod } from '../../../../src/kube/json.ts';
import { buildRunnerPod } from '../../../../src/resources/runner-pod/build.ts';
import type { NodePool, PipelineRun, Step } from '../../../../src/resources/types.ts';
import { gitImage, makePool } from '../../../support/builders.ts';

export function build(
  run: PipelineRun,
  pool: NodePool = makePool(),
  attempt = 1,
  remainingMs = 3_600_000,
): Pod {
  return buildRunnerPod({ run, pool, attempt, remainingMs, gitImage });
}

/** Init containers first, then the main ones. */
export function containers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
}

export function container(pod: Pod, name: string): Container {
  const found = containers(pod).find((c) => c.name === name);
  assert.ok(found, `no container ${name}`);
  return found;
}

export const oneStep = (step: Partial<Step> = {}): Step[] => [{ name: 'only', command: ['true'], ...step }];

/** How a #! script runs: written to a file and executed (its $ escaped for Kubernetes). */
export const shebangArgv = (script: string) => [
  '/bin/sh',
  '-c',
  'f=$$(mktemp); printf "%s" "$1" > "$f"; chmod +x "$f"; exec "$f"',
  'furrow-step',
  script,
];
