// Event ids the memory log stored recently, bounded by count and age: an event that reaches this
// gateway by two paths, or is sent twice by a retrying producer, is stored once (JetStream's
// duplicate window does the same for the shared log).
//
// The ids are kept off the JavaScript heap, exactly: their UTF-8 bytes in one ring of bytes in
// arrival order, found through an open-addressing table of hashes, all in typed arrays. A Set of
// id strings held 100,000 strings that each outlived the young generation and died in the old
// one, so under load the old generation filled with dead ids and full collections (pauses of
// several ms) came back every few seconds. The arrivals ring gives the order to expire and evict
// in O(1).

/** Arrival slots of a new ring; it doubles as ids arrive, up to the capacity. */
const INITIAL_SLOTS = 1024;
const INITIAL_BYTES = 32 * 1024;
/** A free cell of the table (a used one holds 1 + the arrival's slot). */
const FREE = 0;
const utf8 = new TextEncoder();

/** Bytes an id takes in the ring: at least one, so a held id's place is never empty and the
 * ring's oldest start and tail never meet unless it is full. */
const footprint = (length: number) => Math.max(1, length);

/** FNV-1a over the bytes, then murmur3's finalizer so the low bits (the table index) mix well. */
function hashOf(bytes: Uint8Array, length: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

export class RecentIds {
  // Arrivals, oldest at `head`: where each id's bytes start in `bytes`, how many, their hash and
  // when the id arrived.
  private starts = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private hashes = new Int32Array(0);
  private times = new Float64Array(0);
  private head = 0;
  private count = 0;
  /** The ids' bytes, a ring in arrival order from the oldest id's start; the next goes at `tail`. */
  private bytes = new Uint8Array(0);
  private tail = 0;
  /** Linear probing, at most half full: FREE or 1 + an arrival's slot. */
  private table = new Int32Array(0);
  private mask = 0;
  /** The id last looked up, encoded: remember() right after has() does not encode it again. */
  private scratch = new Uint8Array(512);
  private scratchId: string | undefined;
  private scratchLength = 0;
  private scratchHash = 0;

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.count;
  }

  /** True if `id` was seen within the TTL. */
  has(id: string): boolean {
    if (this.capacity <= 0) return false;
    const now = this.now();
    while (this.count > 0 && now - this.times[this.head]! >= this.ttlMs) this.forgetOldest();
    if (this.count === 0) return false;
    this.encode(id);
    return this.find() !== -1;
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
    if (this.count === this.starts.length) this.growSlots();
    this.encode(id);
    const length = this.scratchLength;
    const start = this.place(length);
    this.bytes.set(this.scratch.subarray(0, length), start);
    const slot = (this.head + this.count) % this.starts.length;
    this.starts[slot] = start;
    this.lengths[slot] = length;
    this.hashes[slot] = this.scratchHash;
    this.times[slot] = this.now();
    this.count++;
    this.insert(slot);
  }

  private encode(id: string): void {
    if (id === this.scratchId) return;
    if (id.length * 3 > this.scratch.length) this.scratch = new Uint8Array(id.length * 3);
    this.scratchLength = utf8.encodeInto(id, this.scratch).written;
    this.scratchHash = hashOf(this.scratch, this.scratchLength);
    this.scratchId = id;
  }

  /** The table cell of the encoded id, or -1. */
  private find(): number {
    const { scratchHash: hash, scratchLength: length } = this;
    for (let cell = hash & this.mask; ; cell = (cell + 1) & this.mask) {
      const entry = this.table[cell]!;
      if (entry === FREE) return -1;
      const slot = entry - 1;
      if (this.hashes[slot] === hash && this.lengths[slot] === length && this.holdsScratch(this.starts[slot]!, length)) return cell;
    }
  }

  private holdsScratch(start: number, length: number): boolean {
    for (let i = 0; i < length; i++) if (this.bytes[start + i] !== this.scratch[i]) return false;
    return true;
  }

  private insert(slot: number): void {
    let cell = this.hashes[slot]! & this.mask;
    while (this.table[cell] !== FREE) cell = (cell + 1) & this.mask;
    this.table[cell] = slot + 1;
  }

  private forgetOldest(): void {
    const slot = this.head;
    let cell = this.hashes[slot]! & this.mask;
    while (this.table[cell] !== slot + 1) cell = (cell + 1) & this.mask;
    this.free(cell);
    this.head = (this.head + 1) % this.starts.length;
    this.count--;
    if (this.count === 0) this.tail = 0;
  }

  /** Frees a cell, moving back the entries after it that probed past it (no tombstones). */
  private free(hole: number): void {
    const mask = this.mask;
    for (let cell = (hole + 1) & mask; this.table[cell] !== FREE; cell = (cell + 1) & mask) {
      const home = this.hashes[this.table[cell]! - 1]! & mask;
      // The entry may move to the hole unless its home lies after the hole (cyclically).
      if (((cell - home) & mask) >= ((cell - hole) & mask)) {
        this.table[hole] = this.table[cell]!;
        hole = cell;
      }
    }
    this.table[hole] = FREE;
  }

  /** Where an id of `length` bytes goes in the ring. */
  private place(length: number): number {
    const size = footprint(length);
    if (this.count === 0) {
      if (size <= this.bytes.length) return this.advance(0, size);
    } else {
      const oldest = this.starts[this.head]!;
      if (this.tail > oldest) {
        // Held bytes run from the oldest to the tail: room after them, or before the oldest.
        if (this.tail + size <= this.bytes.length) return this.advance(this.tail, size);
        if (size <= oldest) return this.advance(0, size);
      } else if (this.tail + size <= oldest) {
        // Wrapped: held bytes run from the oldest to the end and from 0 to the tail.
        return this.advance(this.tail, size);
      }
    }
    this.growBytes(size);
    return this.advance(this.tail, size);
  }

  private advance(start: number, size: number): number {
    this.tail = start + size;
    return start;
  }

  /** Doubles the ring of bytes until the held ids and `size` more fit, laying the ids out from 0. */
  private growBytes(size: number): void {
    let held = 0;
    for (let k = 0; k < this.count; k++) held += footprint(this.lengths[(this.head + k) % this.starts.length]!);
    let length = Math.max(INITIAL_BYTES, this.bytes.length * 2);
    while (length < held + size) length *= 2;
    const bytes = new Uint8Array(length);
    let at = 0;
    for (let k = 0; k < this.count; k++) {
      const slot = (this.head + k) % this.starts.length;
      const start = this.starts[slot]!;
      bytes.set(this.bytes.subarray(start, start + this.lengths[slot]!), at);
      this.starts[slot] = at;
      at += footprint(this.lengths[slot]!);
    }
    this.bytes = bytes;
    this.tail = at;
  }

  /** Doubles the arrivals ring (up to the capacity), laying them out from slot 0, and rebuilds the table. */
  private growSlots(): void {
    const size = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.starts.length * 2));
    const starts = new Uint32Array(size);
    const lengths = new Uint32Array(size);
    const hashes = new Int32Array(size);
    const times = new Float64Array(size);
    for (let k = 0; k < this.count; k++) {
      const from = (this.head + k) % this.starts.length;
      starts[k] = this.starts[from]!;
      lengths[k] = this.lengths[from]!;
      hashes[k] = this.hashes[from]!;
      times[k] = this.times[from]!;
    }
    this.starts = starts;
    this.lengths = lengths;
    this.hashes = hashes;
    this.times = times;
    this.head = 0;
    let cells = 2;
    while (cells < 2 * size) cells *= 2;
    this.table = new Int32Array(cells);
    this.mask = cells - 1;
    for (let k = 0; k < this.count; k++) this.insert(k);
  }
}
