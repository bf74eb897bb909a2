// Conditions in one place: metav1.Condition bookkeeping (lastTransitionTime moves only when the
// status does), what each condition type means for health, and which transitions become Events.
// A new condition type is added here (its polarity) and in the status code that computes it.
import type { Condition } from '../../src/api/index.js';
import type { EventType } from '../../src/kube/event-recorder.js';

export interface ConditionInput {
  type: string;
  status: boolean | 'Unknown';
  reason: string;
  message: string;
}

export interface ConditionKind {
  /**
   * The healthy status: `True` for Ready-like types, `False` for abnormal-true ones (Degraded),
   * `either` for types that only report progress (Progressing: rolling out and rollout complete
   * are both normal).
   */
  healthy: 'True' | 'False' | 'either';
  /** Unhealthy at first by nature (a new server is not Ready yet): its first status is no news. */
  startsUnhealthy?: boolean;
}

export const CONDITION_KINDS: Readonly<Record<string, ConditionKind>> = {
  // McpServer
  Ready: { healthy: 'True', startsUnhealthy: true },
  Progressing: { healthy: 'either' },
  Degraded: { healthy: 'False' },
  PeersResolved: { healthy: 'True' },
  // McpRoute
  Accepted: { healthy: 'True' },
  ResolvedRefs: { healthy: 'True' },
};

function kindOf(type: string): ConditionKind {
  const kind = CONDITION_KINDS[type];
  if (kind === undefined) throw new Error(`condition type ${type} is not in CONDITION_KINDS`);
  return kind;
}

/** True when `condition` is in its healthy (or a neutral) state. */
export function isHealthy(condition: Pick<Condition, 'type' | 'status'>): boolean {
  const { healthy } = kindOf(condition.type);
  return healthy === 'either' || condition.status === healthy;
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

/** Conditions whose status changed. */
export function transitions(previous: Condition[] | undefined, next: Condition[]): Condition[] {
  return next.filter((condition) => previous?.find((c) => c.type === condition.type)?.status !== condition.status);
}

export interface ConditionEvent {
  type: EventType;
  reason: string;
  note: string;
}

/**
 * The Events a status change is worth: one per changed condition, Normal when it is now healthy,
 * Warning when not. An object's first conditions are news only when something is wrong (a
 * thousand new servers would otherwise queue four thousand Events behind the write budget).
 */
export function conditionEvents(previous: Condition[] | undefined, next: Condition[]): ConditionEvent[] {
  return transitions(previous, next).flatMap((changed) => {
    const healthy = isHealthy(changed);
    const first = !previous?.some((c) => c.type === changed.type);
    if (first && (healthy || kindOf(changed.type).startsUnhealthy)) return [];
    return [{ type: healthy ? 'Normal' : 'Warning', reason: changed.reason, note: `${changed.type}=${changed.status}: ${changed.message}` }];
  });
}
