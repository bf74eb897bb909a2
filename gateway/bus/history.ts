// Recent events kept for StreamEvents replay, bounded by count and by age.
import { BoundedQueue } from './bounded-queue.js';
import type { Envelope } from './envelope.js';

export interface HistoryOptions {
  size: number;
  retentionMs: number;
  now?: () => number;
}

export class EventHistory {
  private readonly ring: BoundedQueue<Envelope> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: HistoryOptions) {
    this.ring = options.size > 0 ? new BoundedQueue<Envelope>(options.size) : undefined;
    this.now = options.now ?? Date.now;
  }

  get length(): number {
    return this.ring?.length ?? 0;
  }

  /** As a bus sink: every dispatched event is kept. */
  dispatch(envelope: Envelope): void {
    this.append(envelope);
  }

  append(envelope: Envelope): void {
    if (!this.ring) return;
    if (this.ring.isFull) this.ring.shift();
    this.ring.push(envelope);
  }

  /** Events still within retention whose timestamp is at or after `fromTimestamp`, oldest first. */
  since(fromTimestamp: number, accept: (envelope: Envelope) => boolean = () => true): Envelope[] {
    if (!this.ring) return [];
    this.expire();
    const matched: Envelope[] = [];
    for (const envelope of this.ring) {
      if (envelope.event.timestamp >= fromTimestamp && accept(envelope)) matched.push(envelope);
    }
    return matched;
  }

  /** Drops events older than the retention; called on reads and by a timer. */
  expire(): void {
    if (!this.ring) return;
    const cutoff = this.now() - this.options.retentionMs;
    while (this.ring.length > 0 && this.ring.peek()!.receivedAt < cutoff) this.ring.shift();
  }
}
