// Event ids seen recently, bounded by count and age: an event that reaches this gateway by two
// paths, or is sent twice by a retrying producer, is dispatched once. A ring of arrivals gives
// the order to expire and evict in O(1); a Map answers "seen?". (Deleting from the front of a
// large Map, as an earlier version did, makes V8 walk the dead entries on every iteration.)
import { BoundedQueue } from '../bus/bounded-queue.js';

interface Arrival {
  id: string;
  at: number;
  seq: number;
}

export class RecentIds {
  private readonly arrivals: BoundedQueue<Arrival> | undefined;
  /** id -> sequence number of its live arrival; an arrival whose seq differs is a tombstone. */
  private readonly live = new Map<string, number>();
  private seq = 0;

  constructor(
    capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.arrivals = capacity > 0 ? new BoundedQueue<Arrival>(capacity) : undefined;
  }

  get size(): number {
    return this.live.size;
  }

  /** True if `id` was seen within the TTL; otherwise records it and returns false. */
  checkAndRemember(id: string): boolean {
    const arrivals = this.arrivals;
    if (!arrivals) return false;
    const now = this.now();
    for (let oldest = arrivals.peek(); oldest && now - oldest.at >= this.ttlMs; oldest = arrivals.peek()) this.drop(arrivals.shift()!);
    if (this.live.has(id)) return true;
    if (arrivals.isFull) this.drop(arrivals.shift()!);
    const arrival = { id, at: now, seq: ++this.seq };
    arrivals.push(arrival);
    this.live.set(id, arrival.seq);
    return false;
  }

  /** Forgets an id, so a refused event can be sent again. */
  forget(id: string): void {
    this.live.delete(id);
  }

  private drop(arrival: Arrival): void {
    if (this.live.get(arrival.id) === arrival.seq) this.live.delete(arrival.id);
  }
}
