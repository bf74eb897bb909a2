// Delivery to one target: a bounded set of events held (queued, in flight, waiting to retry), a
// concurrency limit, retries with backoff, a circuit breaker, and dead letters for what cannot
// be delivered. Every event that enters leaves as delivered or dead-lettered:
// accepted = delivered + deadLettered + inFlight, always.
import type { McpEvent } from '../../src/event/index.js';
import { BoundedQueue } from '../bus/bounded-queue.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { DeadLetter, DeadLetterReason } from './dead-letters.js';
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
  deadLetter: (letter: Omit<DeadLetter, 'id'>) => void;
  onAttempt?: (result: SendResult['outcome'], seconds: number) => void;
  /** The target failed often enough for its circuit to open (not told again while it stays open). */
  onCircuitOpened?: (lastError: string) => void;
  now?: () => number;
  random?: () => number;
}

export class TargetDelivery {
  readonly route: string;
  readonly target: Target;
  accepted = 0;
  delivered = 0;
  deadLettered = 0;
  readonly breaker: CircuitBreaker;

  private readonly ready: BoundedQueue<Pending>;
  private readonly retryReady: Pending[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Items whose retry timer is running, so close() can dead-letter them. */
  private readonly parked = new Set<Pending>();
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

  /** Events held: queued, in flight, or waiting to retry. */
  get inFlight(): number {
    return this.ready.length + this.retryReady.length + this.waitingToRetry + this.active;
  }

  /** Takes an event for delivery; when the target already holds `capacity`, dead-letters it. */
  enqueue(event: McpEvent): void {
    this.accepted++;
    if (this.closed) {
      this.toDeadLetters({ event, attempts: 0 }, 'shutdown');
      return;
    }
    if (this.inFlight >= this.options.capacity || !this.ready.push({ event, attempts: 0 })) {
      this.toDeadLetters({ event, attempts: 0 }, 'queue_full');
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

  /** Stops delivery: everything not yet delivered is dead-lettered with `reason`. */
  close(reason: DeadLetterReason = 'shutdown'): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    clearTimeout(this.breakerTimer);
    for (const pending of this.parked) this.toDeadLetters(pending, reason);
    this.parked.clear();
    this.waitingToRetry = 0;
    for (let p = this.retryReady.shift(); p; p = this.retryReady.shift()) this.toDeadLetters(p, reason);
    for (let p = this.ready.shift(); p; p = this.ready.shift()) this.toDeadLetters(p, reason);
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
      if (result.outcome === 'delivered') this.delivered++;
      else this.toDeadLetters({ ...pending, lastStatus: result.status, lastError: result.error }, 'shutdown');
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
      this.delivered++;
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

  private toDeadLetters(pending: Pending, reason: DeadLetterReason): void {
    this.deadLettered++;
    this.options.deadLetter({
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
  }

  private notifyIfIdle(): void {
    if (this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
