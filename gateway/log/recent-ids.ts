// Event ids the memory log stored recently, bounded by count and age: an event that reaches this
// gateway by two paths, or is sent twice by a retrying producer, is stored once (JetStream's
// duplicate window does the same for the shared log). A ring of arrivals gives the order to
// expire and evict in O(1); a Set answers "seen?". (Deleting from the front of a large Map, as an
// earlier version did, makes V8 walk the dead entries on every iteration.)

/** Slots of a new ring; it doubles as ids arrive, up to the capacity. */
const INITIAL_SLOTS = 1024;

export class RecentIds {
  // The ring of arrivals as two parallel arrays, ids and times: at 100,000 ids an object per
  // arrival (and a boxed number for its time) was a third of the memory and of the GC's work.
  private ids: (string | undefined)[] = [];
  private times = new Float64Array(0);
  private head = 0;
  private count = 0;
  private readonly seen = new Set<string>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  /** True if `id` was seen within the TTL. */
  has(id: string): boolean {
    if (this.capacity <= 0) return false;
    const now = this.now();
    while (this.count > 0 && now - this.times[this.head]! >= this.ttlMs) this.forgetOldest();
    return this.seen.has(id);
  }

  /** True if `id` was seen within the TTL; otherwise records it and returns false. */
  checkAndRemember(id: string): boolean {
    if (this.has(id)) return true;
    this.remember(id);
    return false;
  }

  /** Records `id`, known not to be held (has() just said so): one lookup per event, not two. */
  remember(id: string): void {
    if (this.capacity <= 0) return;
    if (this.count === this.capacity) this.forgetOldest();
    if (this.count === this.ids.length) this.grow();
    const slot = (this.head + this.count) % this.ids.length;
    this.ids[slot] = id;
    this.times[slot] = this.now();
    this.count++;
    this.seen.add(id);
  }

  private forgetOldest(): void {
    this.seen.delete(this.ids[this.head]!);
    this.ids[this.head] = undefined;
    this.head = (this.head + 1) % this.ids.length;
    this.count--;
  }

  /** Doubles the ring (up to the capacity), laying the arrivals out from slot 0. */
  private grow(): void {
    const size = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.ids.length * 2));
    const ids = new Array<string | undefined>(size);
    const times = new Float64Array(size);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.ids.length;
      ids[i] = this.ids[from];
      times[i] = this.times[from]!;
    }
    this.ids = ids;
    this.times = times;
    this.head = 0;
  }
}
