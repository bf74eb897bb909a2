// Events that could not be delivered, with why. Kept in a store that can be listed and redriven
// over the API: a bounded in-memory store with the memory log, a dead-letter stream with the
// shared log (gateway/log/jetstream/dead-letter-stream.ts). Also POSTed to a sink URL when one is
// configured.
import type { Logger } from '../../src/observability/logger.js';
import type { McpEvent } from '../../src/event/index.js';

/** Why: its attempts were used up; the target refused it; no room for it; the gateway stopped;
 * its target left the config; it was not delivered within its policy's time bound (a target that
 * keeps failing, its circuit open). */
export type DeadLetterReason = 'attempts_exhausted' | 'rejected' | 'queue_full' | 'shutdown' | 'target_removed' | 'expired';

export interface DeadLetter {
  /** Unique within this gateway's life, for redrive. */
  id: string;
  event: McpEvent;
  route: string;
  target: string;
  targetUrl: string;
  reason: DeadLetterReason;
  attempts: number;
  lastStatus?: string | undefined;
  lastError?: string | undefined;
  /** Unix ms. */
  deadLetteredAt: number;
}

export interface DeadLetterFilter {
  target?: string | undefined;
  ids?: readonly string[] | undefined;
}

export type NewDeadLetter = Omit<DeadLetter, 'id'>;

/** A letter taken for redrive: removed once its new delivery settles, or put back. */
export interface ClaimedLetter {
  letter: DeadLetter;
  /** Its event was delivered or dead-lettered anew: the old letter goes. */
  remove(): void;
  /** Not sent after all (its target is gone, or this replica stopped first): the letter stays. */
  unclaim(): void;
}

export interface DeadLetters {
  /** Keeps a letter; a promise when the store is remote, which rejects if it could not be kept. */
  add(letter: NewDeadLetter): DeadLetter | Promise<DeadLetter>;
  list(filter: DeadLetterFilter, limit: number): Promise<DeadLetter[]>;
  /** Letters to send again, oldest first. */
  claim(filter: DeadLetterFilter, limit: number): Promise<ClaimedLetter[]>;
  /** Letters held now, and letters pushed out by newer ones since start (undefined where the store does not count them). */
  summary(): Promise<{ held: number; evicted: number | undefined }>;
  /** Letters this replica made since start, by target and reason (for metrics). */
  readonly totals: Map<string, number>;
}

/** Counts a letter in `totals` by target and reason. */
export function countLetter(totals: Map<string, number>, letter: NewDeadLetter): void {
  const key = `${letter.target}\u0000${letter.reason}`;
  totals.set(key, (totals.get(key) ?? 0) + 1);
}

/** Dead letters in process memory, bounded: the oldest is pushed out (and counted) when full. */
export class MemoryDeadLetters implements DeadLetters {
  /** Insertion-ordered, so the oldest is evicted first when full. */
  private readonly letters = new Map<string, DeadLetter>();
  private nextId = 0;
  /** Letters pushed out by newer ones; logged and counted, never silent. */
  evicted = 0;
  /** By target and reason, since start. */
  readonly totals = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.letters.size;
  }

  add(letter: NewDeadLetter): DeadLetter {
    const stored = { ...letter, id: `dl-${++this.nextId}` };
    if (this.letters.size >= this.capacity) {
      this.letters.delete(this.letters.keys().next().value!);
      this.evicted++;
    }
    this.letters.set(stored.id, stored);
    countLetter(this.totals, letter);
    return stored;
  }

  async list(filter: DeadLetterFilter = {}, limit = 100): Promise<DeadLetter[]> {
    return this.matching(filter, limit);
  }

  async summary(): Promise<{ held: number; evicted: number | undefined }> {
    return { held: this.letters.size, evicted: this.evicted };
  }

  /** Taken out at once (so a second redrive cannot take them too), and put back by unclaim(). */
  async claim(filter: DeadLetterFilter, limit: number): Promise<ClaimedLetter[]> {
    const taken = this.matching(filter, limit);
    for (const letter of taken) this.letters.delete(letter.id);
    return taken.map((letter) => ({
      letter,
      remove() {},
      unclaim: () => this.letters.set(letter.id, letter),
    }));
  }

  private matching(filter: DeadLetterFilter, limit: number): DeadLetter[] {
    const ids = filter.ids ? new Set(filter.ids) : undefined;
    const matched: DeadLetter[] = [];
    for (const letter of this.letters.values()) {
      if (matched.length >= limit) break;
      if (filter.target && letter.target !== filter.target) continue;
      if (ids && !ids.has(letter.id)) continue;
      matched.push(letter);
    }
    return matched;
  }
}

/** Letters per POST to the sink. */
const SINK_BATCH = 100;
/** POSTs to the sink at once. */
const SINK_CONCURRENCY = 4;

/**
 * POSTs dead letters to a URL as JSON batches, {"dead_letters": [...]}, beside the in-memory
 * store. Bounded (a letter that finds the queue full is counted as failed; it is still in the
 * store), retried a few times, and never in the way of the data path.
 */
export class DeadLetterSink {
  private readonly queue: DeadLetter[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  delivered = 0;
  failed = 0;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly maxQueued = 10_000,
    private readonly timeoutMs = 10_000,
    private readonly attempts = 3,
  ) {}

  send(letter: DeadLetter): void {
    if (this.queue.length >= this.maxQueued) {
      this.failed++;
      return;
    }
    this.queue.push(letter);
    this.pump();
  }

  /** Resolves once every letter queued so far is answered, or after `timeoutMs` (shutdown). */
  async idle(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private pump(): void {
    while (this.active < SINK_CONCURRENCY && this.queue.length > 0) {
      const batch = this.queue.splice(0, SINK_BATCH);
      this.active++;
      void this.post(batch).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private async post(batch: DeadLetter[]): Promise<void> {
    const body = JSON.stringify({ dead_letters: batch });
    let lastError = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const response = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await response.arrayBuffer();
        if (response.ok) {
          this.delivered += batch.length;
          return;
        }
        lastError = `HTTP ${response.status}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
    this.failed += batch.length;
    this.logger.warn({ letters: batch.length, url: this.url, error: lastError }, 'dead-letter sink refused a batch; the letters stay in memory');
  }
}
