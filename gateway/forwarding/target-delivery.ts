// Delivery to one target: a bounded set of events held (queued, in flight, waiting to retry), a
// concurrency limit, retries with backoff, a circuit breaker, and dead letters for what cannot
// be delivered. Every event that enters leaves as delivered, dead-lettered, or (with the shared
// log) returned to the log for another replica:
// accepted = delivered + deadLettered + returned + inFlight, always.
import type { McpEvent } from '../../src/event/index.js';
import { BoundedQueue } from '../../src/limits/bounded-queue.js';
import type { Ticket } from '../log/event-log.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { DeadLetterReason, NewDeadLetter } from './dead-letters.js';
import { backoffMs, type RetryPolicy } from './retry-policy.js';
import type { Sender, SendResult } from './sender.js';

export interface Target {
  id: string;
  url: string;
  format: 'mcp' | 'cloudevents';
}

interface Pending {
  event: McpEvent;
  attempts: number;
  /** The log's hold on this event (shared log): settled when it leaves, renewed while it waits. */
  ticket?: Ticket | undefined;
  lastStatus?: string;
  lastError?: string;
}

export interface TargetDeliveryOptions {
  route: string;
  target: Target;
  sender: Sender;
  retry: RetryPolicy;
  timeoutMs: number;
  concurrency: number;
  /** Most events held at once, queued, in flight and waiting to retry together. */
  capacity: number;
  breaker: { failureThreshold: number; cooldownMs: number };
  /** Stores a dead letter; a promise that rejects leaves the event to the log (it is returned, not settled). */
  deadLetter: (letter: NewDeadLetter) => void | Promise<unknown>;
  onAttempt?: (result: SendResult['outcome'], seconds: number) => void;
  /** The target failed often enough for its circuit to open (not told again while it stays open). */
  onCircuitOpened?: (lastError: string) => void;
  /** How often held tickets are renewed (below the log's acknowledgement wait). */
  holdIntervalMs?: number;
  now?: () => number;
  random?: () => number;
}

export class TargetDelivery {
  readonly route: string;
  readonly target: Target;
  accepted = 0;
  delivered = 0;
  deadLettered = 0;
  /** Handed back to the shared log for another replica (shutdown, or a dead letter that could not be stored). */
  returned = 0;
  readonly breaker: CircuitBreaker;

  private readonly ready: BoundedQueue<Pending>;
  private readonly retryReady: Pending[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Items whose retry timer is running, so close() can settle them. */
  private readonly parked = new Set<Pending>();
  /** Items holding a ticket, renewed while they wait. */
  private readonly ticketed = new Set<Pending>();
  private holdTimer: NodeJS.Timeout | undefined;
  /** Dead letters being stored: still held until the store answers. */
  private storing = 0;
  private waitingToRetry = 0;
  private active = 0;
  private breakerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: TargetDeliveryOptions) {
    this.route = options.route;
    this.target = options.target;
    this.now = options.now ?? Date.now;
    this.ready = new BoundedQueue(options.capacity);
    this.breaker = new CircuitBreaker(options.breaker.failureThreshold, options.breaker.cooldownMs, this.now);
  }

  /** Events held: queued, in flight, waiting to retry, or being dead-lettered. */
  get inFlight(): number {
    return this.ready.length + this.retryReady.length + this.waitingToRetry + this.active + this.storing;
  }

  /**
   * Takes an event for delivery. `ticket` is the shared log's hold on it; `attemptsBefore` counts
   * attempts another replica already made. When the target already holds `capacity`, or the
   * log's backlog for it is that long, the event is dead-lettered as queue_full.
   */
  enqueue(event: McpEvent, ticket?: Ticket, attemptsBefore = 0): void {
    this.accepted++;
    const pending: Pending = { event, attempts: attemptsBefore, ticket };
    if (ticket) this.hold(pending);
    if (this.closed) {
      this.leave(pending, 'shutdown');
      return;
    }
    const backlog = ticket?.backlog ?? 0;
    if (backlog >= this.options.capacity || this.inFlight >= this.options.capacity || !this.ready.push(pending)) {
      this.toDeadLetters(pending, 'queue_full');
      return;
    }
    this.pump();
  }

  /** Resolves when nothing is held, or after `timeoutMs`; returns whether it emptied. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const emptied = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return emptied;
  }

  /**
   * Stops delivery. Every event not yet delivered leaves: returned to the shared log when it came
   * from one and the reason is shutdown (another replica, or this one after a restart, delivers
   * it), dead-lettered with `reason` otherwise.
   */
  close(reason: DeadLetterReason = 'shutdown'): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    clearTimeout(this.breakerTimer);
    for (const pending of this.parked) this.leave(pending, reason);
    this.parked.clear();
    this.waitingToRetry = 0;
    for (let p = this.retryReady.shift(); p; p = this.retryReady.shift()) this.leave(p, reason);
    for (let p = this.ready.shift(); p; p = this.ready.shift()) this.leave(p, reason);
    this.options.sender.close();
    this.notifyIfIdle();
  }

  private pump(): void {
    while (!this.closed && this.active < this.options.concurrency) {
      if (this.retryReady.length === 0 && this.ready.length === 0) return;
      if (!this.breaker.allow()) {
        this.wakeAfterBreaker();
        return;
      }
      const next = this.retryReady.shift() ?? this.ready.shift()!;
      void this.attempt(next);
    }
  }

  private wakeAfterBreaker(): void {
    if (this.breakerTimer) return;
    this.breakerTimer = setTimeout(() => {
      this.breakerTimer = undefined;
      this.pump();
    }, Math.max(10, this.breaker.waitMs()));
  }

  private async attempt(pending: Pending): Promise<void> {
    this.active++;
    pending.attempts++;
    const started = performance.now();
    let result: SendResult;
    try {
      result = await this.options.sender.send(pending.event, this.options.timeoutMs);
    } catch (error) {
      result = { outcome: 'retry', status: 'error', error: (error as Error).message };
    }
    this.active--;
    this.options.onAttempt?.(result.outcome, (performance.now() - started) / 1000);
    if (this.closed) {
      // close() ran while this attempt was out: its outcome decides, nothing else may follow.
      if (result.outcome === 'delivered') this.markDelivered(pending);
      else this.leave({ ...pending, lastStatus: result.status, lastError: result.error }, 'shutdown');
      this.notifyIfIdle();
      return;
    }
    this.settle(pending, result);
    this.pump();
    this.notifyIfIdle();
  }

  private settle(pending: Pending, result: SendResult): void {
    if (result.outcome === 'delivered') {
      this.breaker.succeeded();
      this.markDelivered(pending);
      return;
    }
    pending.lastStatus = result.status;
    pending.lastError = result.error;
    if (result.outcome === 'failed') {
      this.breaker.succeeded(); // the target answered: it is up, the event is what it refused
      this.toDeadLetters(pending, 'rejected');
      return;
    }
    if (this.breaker.failed()) this.options.onCircuitOpened?.(result.error);
    if (pending.attempts >= this.options.retry.maxAttempts) {
      this.toDeadLetters(pending, 'attempts_exhausted');
      return;
    }
    const wait = backoffMs(this.options.retry, pending.attempts, result.retryAfterMs, this.options.random);
    this.waitingToRetry++;
    this.parked.add(pending);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.parked.delete(pending);
      this.waitingToRetry--;
      this.retryReady.push(pending);
      this.pump();
    }, wait);
    this.retryTimers.add(timer);
  }

  private markDelivered(pending: Pending): void {
    this.delivered++;
    this.release(pending)?.settle();
  }

  /** Leaves without delivery: back to the shared log on shutdown when it can go back, else a dead letter. */
  private leave(pending: Pending, reason: DeadLetterReason): void {
    if (reason === 'shutdown' && pending.ticket?.returnable) {
      this.returned++;
      this.release(pending)!.giveBack();
      return;
    }
    this.toDeadLetters(pending, reason);
  }

  private toDeadLetters(pending: Pending, reason: DeadLetterReason): void {
    const stored = this.options.deadLetter({
      event: pending.event,
      route: this.route,
      target: this.target.id,
      targetUrl: this.target.url,
      reason,
      attempts: pending.attempts,
      lastStatus: pending.lastStatus,
      lastError: pending.lastError,
      deadLetteredAt: this.now(),
    });
    if (!(stored instanceof Promise)) {
      this.deadLettered++;
      this.release(pending)?.settle();
      return;
    }
    // Held until the store has it: an event is never settled before its dead letter is kept.
    this.storing++;
    stored.then(
      () => {
        this.storing--;
        this.deadLettered++;
        this.release(pending)?.settle();
        this.notifyIfIdle();
      },
      () => {
        this.storing--;
        this.returned++;
        this.release(pending)?.giveBack();
        this.notifyIfIdle();
      },
    );
  }

  /** Keeps the log's hold on a ticketed item alive while this delivery has it. */
  private hold(pending: Pending): void {
    this.ticketed.add(pending);
    this.holdTimer ??= setInterval(() => {
      for (const item of this.ticketed) item.ticket!.hold();
    }, this.options.holdIntervalMs ?? 10_000).unref();
  }

  /** The item's ticket, no longer renewed (undefined for items without one). */
  private release(pending: Pending): Ticket | undefined {
    if (!pending.ticket) return undefined;
    this.ticketed.delete(pending);
    if (this.ticketed.size === 0) {
      clearInterval(this.holdTimer);
      this.holdTimer = undefined;
    }
    return pending.ticket;
  }

  private notifyIfIdle(): void {
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
