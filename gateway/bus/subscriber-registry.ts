// The set of live subscribers and the fan-out to them, with the counts metrics read.
import type { Envelope } from './envelope.js';
import type { StreamEnding, Subscriber, SubscriberKind } from './subscriber.js';

export interface SubscriberStats {
  active: number;
  byKind: Record<SubscriberKind, number>;
  delivered: Record<SubscriberKind, number>;
  cutOff: Record<SubscriberKind, number>;
  queued: number;
}

const emptyByKind = (): Record<SubscriberKind, number> => ({
  stream_events: 0,
  event_stream: 0,
  legacy_event_stream: 0,
  argo_generic: 0,
});

export class SubscriberRegistry {
  private readonly live = new Map<string, Subscriber>();
  private readonly deliveredByFinished = emptyByKind();
  private readonly cutOff = emptyByKind();

  add(subscriber: Subscriber): void {
    this.live.set(subscriber.id, subscriber);
  }

  /** Called from a subscriber's onFinished, also for one that was never live (replay only). */
  remove(subscriber: Subscriber, ending: StreamEnding): void {
    this.live.delete(subscriber.id);
    this.deliveredByFinished[subscriber.kind] += subscriber.delivered;
    if (ending.kind === 'cut_off') this.cutOff[subscriber.kind]++;
  }

  get size(): number {
    return this.live.size;
  }

  dispatch(envelope: Envelope): void {
    for (const subscriber of this.live.values()) {
      if (subscriber.id !== envelope.origin && subscriber.accepts(envelope)) subscriber.offer(envelope);
    }
  }

  /** Events still queued across all subscribers. */
  queued(): number {
    let total = 0;
    for (const subscriber of this.live.values()) total += subscriber.queued;
    return total;
  }

  finishAll(ending: StreamEnding): void {
    for (const subscriber of [...this.live.values()]) subscriber.finish(ending);
  }

  stats(): SubscriberStats {
    const byKind = emptyByKind();
    const delivered = { ...this.deliveredByFinished };
    let queued = 0;
    for (const subscriber of this.live.values()) {
      byKind[subscriber.kind]++;
      delivered[subscriber.kind] += subscriber.delivered;
      queued += subscriber.queued;
    }
    return { active: this.live.size, byKind, delivered, cutOff: { ...this.cutOff }, queued };
  }
}
