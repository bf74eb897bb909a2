// metav1.Condition bookkeeping: lastTransitionTime moves only when the status does.
import type { Condition } from '../../src/api/index.js';

export interface ConditionInput {
  type: string;
  status: boolean | 'Unknown';
  reason: string;
  message: string;
}

/** The new condition list, keeping each unchanged condition's transition time. */
export function nextConditions(previous: Condition[] | undefined, inputs: ConditionInput[], generation: number, now: Date): Condition[] {
  return inputs.map((input) => {
    const status = input.status === 'Unknown' ? 'Unknown' : input.status ? 'True' : 'False';
    const before = previous?.find((c) => c.type === input.type);
    return {
      type: input.type,
      status,
      observedGeneration: generation,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      reason: input.reason,
      message: input.message.slice(0, 32_768),
    };
  });
}

/** Conditions whose status changed, for Events. */
export function transitions(previous: Condition[] | undefined, next: Condition[]): Condition[] {
  return next.filter((condition) => previous?.find((c) => c.type === condition.type)?.status !== condition.status);
}
