/** Exponential backoff with jitter, as client-go's wait.Backoff: pure, so it can be tested. */
export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. 0 disables. */
  jitter?: number;
}

/** The delay before retry number `failures` (1 = after the first failure). */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failures - 1);
  // 2 ** exponent overflows to Infinity for large counts; min() keeps it at maxMs.
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jitter = policy.jitter ?? 0;
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxMs, Math.round(raw * factor)));
}
