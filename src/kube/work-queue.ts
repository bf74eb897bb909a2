// A work queue with controller-runtime's semantics, and its own workers:
// - a key added while queued is not queued twice; a key added while it is being processed is
//   queued again once that run ends ("dirty" set), so no key is ever processed twice at once;
// - a failed run is retried with per-key exponential backoff; a successful run forgets the key's
//   failures and may ask for a later run (requeueAfter);
// - shutdown stops intake and waits, for a bounded time, for the queued and in-flight work.
import { PerKeyBackoff, type BackoffOptions } from './backoff.js';
import { systemClock, withTimeout, type Clock, type TimerHandle } from './clock.js';

export type ProcessResult = { requeueAfter?: number | undefined } | void;

/** Processes one key. The signal aborts when a drain runs out of time. */
export type KeyProcessor = (key: string, signal: AbortSignal) => Promise<ProcessResult>;

export type ProcessOutcome = 'success' | 'requeue_after' | 'error';

/** Optional metric hooks; all are called synchronously and must be cheap. */
export interface WorkQueueMetrics {
  added?(queue: string): void;
  retried?(queue: string): void;
  depth?(queue: string, depth: number): void;
  /** Time between a key becoming ready and a worker taking it. */
  queued?(queue: string, waitMs: number): void;
  processed?(queue: string, durationMs: number, outcome: ProcessOutcome): void;
}

export interface WorkQueueOptions {
  name: string;
  process: KeyProcessor;
  /** Keys processed at the same time (each key at most once). */
  workers: number;
  /** Backoff for failed keys; defaults to controller-runtime's 5 ms doubling up to 1000 s. */
  backoff?: BackoffOptions;
  clock?: Clock;
  metrics?: WorkQueueMetrics;
  /** Told about each failed run; the queue itself only retries. */
  onError?: (key: string, error: unknown, retryInMs: number) => void;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 5, maxMs: 1_000_000 };

export class WorkQueue {
  readonly name: string;
  private readonly processKey: KeyProcessor;
  private readonly workers: number;
  private readonly backoff: PerKeyBackoff;
  private readonly clock: Clock;
  private readonly metrics: WorkQueueMetrics;
  private readonly onError: WorkQueueOptions['onError'];

  /** Ready keys in FIFO order (a Set keeps insertion order and deduplicates). */
  private readonly ready = new Set<string>();
  /** When each ready key became ready, for the queued-latency hook. */
  private readonly readySince = new Map<string, number>();
  /** Keys being processed, with their start time. */
  private readonly processing = new Map<string, number>();
  /** Keys added while being processed: queued again when that run ends. */
  private readonly dirtyWhileProcessing = new Set<string>();
  /** Delayed adds: key -> when it becomes ready and its timer. */
  private readonly delayed = new Map<string, { readyAt: number; timer: TimerHandle }>();

  private started = false;
  private shuttingDown = false;
  private readonly abortInFlight = new AbortController();
  private idleWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    this.name = options.name;
    this.processKey = options.process;
    this.workers = options.workers;
    this.backoff = new PerKeyBackoff(options.backoff ?? DEFAULT_QUEUE_BACKOFF);
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics ?? {};
    this.onError = options.onError;
  }

  /** Keys waiting to be processed now (not counting delayed or in-flight ones). */
  get depth(): number {
    return this.ready.size;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting for their delay (requeue-after or backoff). */
  get waiting(): number {
    return this.delayed.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** How long the longest in-flight run has been going, in ms (0 when idle). */
  longestRunningMs(): number {
    let oldest = Infinity;
    for (const startedAt of this.processing.values()) oldest = Math.min(oldest, startedAt);
    return oldest === Infinity ? 0 : this.clock.now() - oldest;
  }

  /** Failures recorded for `key` since it last succeeded. */
  retriesOf(key: string): number {
    return this.backoff.failuresOf(key);
  }

  /** Begins handing keys to workers. Keys added before start wait in the queue. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.dispatch();
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.ready.has(key) || this.dirtyWhileProcessing.has(key)) return;
    this.metrics.added?.(this.name);
    if (this.processing.has(key)) {
      this.dirtyWhileProcessing.add(key);
      return;
    }
    this.markReady(key);
    this.dispatch();
  }

  /** Adds `key` after `delayMs`; an earlier pending delayed add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const readyAt = this.clock.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.readyAt <= readyAt) return;
      this.clock.clearTimeout(pending.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` after its backoff delay, counting one more failure. */
  addRateLimited(key: string): number {
    const delay = this.backoff.next(key);
    this.metrics.retried?.(this.name);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the failure count of `key` (its next failure waits the base delay again). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /**
   * Stops intake (adds are ignored, delayed adds dropped) and lets the workers finish the queued
   * and in-flight keys. Resolves true when all finished within `timeoutMs`; otherwise aborts the
   * signal given to in-flight runs, drops what is still queued, and resolves false.
   */
  async shutDownWithDrain(timeoutMs: number): Promise<boolean> {
    this.beginShutdown();
    if (!this.started) this.ready.clear();
    if (this.isIdle()) return true;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const drained = await withTimeout(this.clock, idle, timeoutMs, () => false);
    if (!drained) {
      this.ready.clear();
      this.readySince.clear();
      this.abortInFlight.abort(new Error(`work queue ${this.name} did not drain within ${timeoutMs} ms`));
      this.reportDepth();
    }
    return drained;
  }

  /** Stops at once: drops queued and delayed keys and aborts in-flight runs' signals. */
  shutDown(): void {
    this.beginShutdown();
    this.ready.clear();
    this.readySince.clear();
    this.abortInFlight.abort(new Error(`work queue ${this.name} shut down`));
    this.reportDepth();
  }

  private beginShutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
    this.delayed.clear();
    this.dirtyWhileProcessing.clear();
  }

  private markReady(key: string): void {
    this.ready.add(key);
    this.readySince.set(key, this.clock.now());
    this.reportDepth();
  }

  private dispatch(): void {
    if (!this.started || this.abortInFlight.signal.aborted) return;
    while (this.processing.size < this.workers && this.ready.size > 0) {
      const key = this.ready.values().next().value as string;
      this.ready.delete(key);
      const now = this.clock.now();
      this.metrics.queued?.(this.name, now - (this.readySince.get(key) ?? now));
      this.readySince.delete(key);
      this.processing.set(key, now);
      this.reportDepth();
      void this.run(key, now);
    }
    if (this.isIdle()) this.notifyIdle();
  }

  private async run(key: string, startedAt: number): Promise<void> {
    let outcome: ProcessOutcome;
    try {
      const result = await this.processKey(key, this.abortInFlight.signal);
      this.backoff.forget(key);
      const requeueAfter = result?.requeueAfter;
      if (requeueAfter !== undefined && requeueAfter > 0) {
        outcome = 'requeue_after';
        this.addAfter(key, requeueAfter);
      } else {
        outcome = 'success';
      }
    } catch (error) {
      outcome = 'error';
      if (!this.shuttingDown) {
        const delay = this.addRateLimited(key);
        this.onError?.(key, error, delay);
      } else {
        this.onError?.(key, error, -1);
      }
    }
    this.metrics.processed?.(this.name, this.clock.now() - startedAt, outcome);
    this.processing.delete(key);
    if (this.dirtyWhileProcessing.delete(key) && !this.ready.has(key)) this.markReady(key);
    this.dispatch();
  }

  private isIdle(): boolean {
    return this.processing.size === 0 && this.ready.size === 0;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private reportDepth(): void {
    this.metrics.depth?.(this.name, this.ready.size);
  }
}
