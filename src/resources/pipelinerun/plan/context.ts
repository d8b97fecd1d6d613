// The input, read once for every policy: the attempt in play, the run's timeout, its live pods.
import { parseDuration } from '../../duration.ts';
import { isTerminal } from '../pod-reading.ts';
import { attemptInPlay } from './attempt.ts';
import type { Context, RunInput } from './types.ts';

/** spec.timeout when the run doesn't say. */
export const defaultTimeout = '1h';

export function planContext(input: RunInput): Context {
  const { run, pods, now } = input;
  const old = run.status ?? {};
  return {
    input,
    run,
    old,
    now,
    generation: run.metadata.generation ?? 0,
    ...attemptInPlay(run.metadata.name ?? '', old, pods),
    timeoutMs: parseDuration(run.spec.timeout ?? defaultTimeout) ?? parseDuration(defaultTimeout) ?? 0,
    livePods: pods.filter((p) => !isTerminal(p) && !p.metadata?.deletionTimestamp),
  };
}
