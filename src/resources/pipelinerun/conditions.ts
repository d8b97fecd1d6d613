// metav1.Condition bookkeeping: lastTransitionTime moves only when the status does.
import type { Condition } from '../types.ts';
import { formatTime } from './time.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns `conditions` with `input` set (replacing one of its type), keeping the order stable. */
export function setCondition(
  conditions: Condition[] | undefined,
  input: ConditionInput,
  observedGeneration: number,
  now: number,
): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((c) => c.type === input.type);
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message,
    observedGeneration,
    lastTransitionTime:
      previous && previous.status === input.status ? previous.lastTransitionTime : formatTime(now),
  };
  return previous ? list.map((c) => (c.type === input.type ? next : c)) : [...list, next];
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
