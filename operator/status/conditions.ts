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
  /**
   * Unhealthy at first by nature (a new server is not Ready yet): its first status is no news.
   * A list names the reasons that are a normal start (SharedLog: no pod connected yet), so
   * another unhealthy first status (the memory bus under several pods) is still news.
   */
  startsUnhealthy?: boolean | readonly string[];
  /** A change of reason alone is news too, not only a change of status (one Event per reason entered). */
  reasonIsNews?: boolean;
}

export const CONDITION_KINDS: Readonly<Record<string, ConditionKind>> = {
  // McpServer
  Ready: { healthy: 'True', startsUnhealthy: true },
  Progressing: { healthy: 'either' },
  Degraded: { healthy: 'False' },
  PeersResolved: { healthy: 'True' },
  // Every pod sees every event: False with MemoryBus when several pods each keep their own log,
  // or while a JetStream log has no connected pod or its Argo EventBus cannot be used.
  SharedLog: { healthy: 'True', startsUnhealthy: ['NoPodConnected'], reasonIsNews: true },
  // McpRoute
  Accepted: { healthy: 'True' },
  ResolvedRefs: { healthy: 'True' },
};

function kindOf(type: string): ConditionKind {
  const kind = CONDITION_KINDS[type];
  if (kind === undefined) throw new Error(`condition type ${type} is not in CONDITION_KINDS`);
  return kind;
}

function startsUnhealthy(condition: Pick<Condition, 'type' | 'reason'>): boolean {
  const normal = kindOf(condition.type).startsUnhealthy;
  return Array.isArray(normal) ? normal.includes(condition.reason) : normal === true;
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
 * The Events a status change is worth: one per changed condition (or changed reason, for kinds
 * where that is news), Normal when it is now healthy, Warning when not. An object's first
 * conditions are news only when something is wrong (a thousand new servers would otherwise queue
 * four thousand Events behind the write budget).
 */
export function conditionEvents(previous: Condition[] | undefined, next: Condition[]): ConditionEvent[] {
  const news = next.filter((condition) => {
    const before = previous?.find((c) => c.type === condition.type);
    return before?.status !== condition.status || (kindOf(condition.type).reasonIsNews === true && before.reason !== condition.reason);
  });
  return news.flatMap((changed) => {
    const healthy = isHealthy(changed);
    const first = !previous?.some((c) => c.type === changed.type);
    if (first && (healthy || startsUnhealthy(changed))) return [];
    return [{ type: healthy ? 'Normal' : 'Warning', reason: changed.reason, note: `${changed.type}=${changed.status}: ${changed.message}` }];
  });
}
