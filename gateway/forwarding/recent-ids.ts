// Event ids seen recently, bounded by count and age: an event that reaches this gateway by two
// paths, or is sent twice by a retrying producer, is dispatched once.

export class RecentIds {
  /** id -> time first seen; Map keeps insertion order, so the oldest is always first. */
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.seenAt.size;
  }

  /** True if `id` was seen within the TTL; otherwise records it and returns false. */
  checkAndRemember(id: string): boolean {
    if (this.capacity === 0) return false;
    const now = this.now();
    this.expire(now);
    if (this.seenAt.has(id)) return true;
    if (this.seenAt.size >= this.capacity) this.seenAt.delete(this.seenAt.keys().next().value!);
    this.seenAt.set(id, now);
    return false;
  }

  /** Forgets an id, so a refused event can be sent again. */
  forget(id: string): void {
    this.seenAt.delete(id);
  }

  private expire(now: number): void {
    for (const [id, at] of this.seenAt) {
      if (now - at < this.ttlMs) break;
      this.seenAt.delete(id);
    }
  }
}
