// Event ids the memory log stored recently, bounded by count and age: an event that reaches this
// gateway by two paths, or is sent twice by a retrying producer, is stored once (JetStream's
// duplicate window does the same for the shared log). A ring of arrivals gives the order to
// expire and evict in O(1); a Set answers "seen?". (Deleting from the front of a large Map, as an
// earlier version did, makes V8 walk the dead entries on every iteration.)
import { BoundedQueue } from '../../src/limits/bounded-queue.js';

interface Arrival {
  id: string;
  at: number;
}

export class RecentIds {
  private readonly arrivals: BoundedQueue<Arrival> | undefined;
  private readonly seen = new Set<string>();

  constructor(
    capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.arrivals = capacity > 0 ? new BoundedQueue<Arrival>(capacity) : undefined;
  }

  get size(): number {
    return this.seen.size;
  }

  /** True if `id` was seen within the TTL. */
  has(id: string): boolean {
    const arrivals = this.arrivals;
    if (!arrivals) return false;
    const now = this.now();
    for (let oldest = arrivals.peek(); oldest && now - oldest.at >= this.ttlMs; oldest = arrivals.peek()) this.seen.delete(arrivals.shift()!.id);
    return this.seen.has(id);
  }

  /** True if `id` was seen within the TTL; otherwise records it and returns false. */
  checkAndRemember(id: string): boolean {
    const arrivals = this.arrivals;
    if (!arrivals) return false;
    if (this.has(id)) return true;
    if (arrivals.isFull) this.seen.delete(arrivals.shift()!.id);
    arrivals.push({ id, at: this.now() });
    this.seen.add(id);
    return false;
  }
}
