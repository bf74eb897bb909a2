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
