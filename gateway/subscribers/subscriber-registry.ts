// The set of this replica's subscribers and the live fan-out to them, with the counts metrics read.
import type { Envelope } from '../log/envelope.js';
import type { StreamEnding, Subscriber, SubscriberKind } from './subscriber.js';

export interface SubscriberStats {
  active: number;
  byKind: Record<SubscriberKind, number>;
  delivered: Record<SubscriberKind, number>;
  cutOff: Record<SubscriberKind, number>;
  /** Subscribers reading the log right now instead of the live fan-out. */
  reading: number;
  queued: number;
}

const emptyByKind = (): Record<SubscriberKind, number> => ({
  stream_events: 0,
  event_stream: 0,
  legacy_event_stream: 0,
  argo_generic: 0,
  websocket: 0,
});

export class SubscriberRegistry {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly deliveredByFinished = emptyByKind();
  private readonly cutOff = emptyByKind();

  add(subscriber: Subscriber): void {
    this.subscribers.set(subscriber.id, subscriber);
  }

  /** Called from a subscriber's onFinished, also for one that was never live (replay only). */
  remove(subscriber: Subscriber, ending: StreamEnding): void {
    this.subscribers.delete(subscriber.id);
    this.deliveredByFinished[subscriber.kind] += subscriber.delivered;
    if (ending.kind === 'cut_off') this.cutOff[subscriber.kind]++;
  }

  get size(): number {
    return this.subscribers.size;
  }

  dispatch(envelope: Envelope): void {
    for (const subscriber of this.subscribers.values()) {
      if (subscriber.isLive && subscriber.wants(envelope)) subscriber.offer(envelope);
    }
  }

  /** Events left the log before this replica fanned them out: every live subscriber missed them. */
  gap(from: number, to: number): void {
    for (const subscriber of [...this.subscribers.values()]) {
      if (subscriber.isLive) subscriber.missed(from, to);
    }
  }

  /** Events still queued across all subscribers. */
  queued(): number {
    let total = 0;
    for (const subscriber of this.subscribers.values()) total += subscriber.queued;
    return total;
  }

  finishAll(ending: StreamEnding): void {
    for (const subscriber of [...this.subscribers.values()]) subscriber.finish(ending);
  }

  stats(): SubscriberStats {
    const byKind = emptyByKind();
    const delivered = { ...this.deliveredByFinished };
    let queued = 0;
    let reading = 0;
    for (const subscriber of this.subscribers.values()) {
      byKind[subscriber.kind]++;
      delivered[subscriber.kind] += subscriber.delivered;
      queued += subscriber.queued;
      if (!subscriber.isLive) reading++;
    }
    return { active: this.subscribers.size, byKind, delivered, cutOff: { ...this.cutOff }, reading, queued };
  }
}
