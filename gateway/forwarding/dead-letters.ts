// Events that could not be delivered, with why. Kept in a bounded in-memory store that can be
// listed and redriven over the API, and also POSTed to a sink URL when one is configured.
import type { Logger } from '../../src/observability/logger.js';
import type { McpEvent } from '../../src/event/index.js';

export type DeadLetterReason = 'attempts_exhausted' | 'rejected' | 'queue_full' | 'shutdown' | 'target_removed';

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

export class DeadLetterStore {
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

  add(letter: Omit<DeadLetter, 'id'>): DeadLetter {
    const stored = { ...letter, id: `dl-${++this.nextId}` };
    if (this.letters.size >= this.capacity) {
      this.letters.delete(this.letters.keys().next().value!);
      this.evicted++;
    }
    this.letters.set(stored.id, stored);
    const key = `${letter.target}\u0000${letter.reason}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    return stored;
  }

  list(filter: DeadLetterFilter = {}, limit = 100): DeadLetter[] {
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

  /** Removes and returns the matching letters (for redrive). */
  take(filter: DeadLetterFilter, limit: number): DeadLetter[] {
    const taken = this.list(filter, limit);
    for (const letter of taken) this.letters.delete(letter.id);
    return taken;
  }

  /** Puts letters back (a redrive whose target is gone). */
  restore(letters: DeadLetter[]): void {
    for (const letter of letters) this.letters.set(letter.id, letter);
  }
}

/** POSTs each dead letter as JSON to a URL; bounded, and never in the way of the data path. */
export class DeadLetterSink {
  private pending = 0;
  delivered = 0;
  failed = 0;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly maxPending = 1000,
    private readonly timeoutMs = 10_000,
  ) {}

  send(letter: DeadLetter): void {
    if (this.pending >= this.maxPending) {
      this.failed++;
      return;
    }
    this.pending++;
    fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(letter),
      signal: AbortSignal.timeout(this.timeoutMs),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.delivered++;
      })
      .catch((error: Error) => {
        this.failed++;
        this.logger.warn({ err: error.message, deadLetter: letter.id, url: this.url }, 'dead-letter sink refused a letter; it stays in memory');
      })
      .finally(() => this.pending--);
  }
}
