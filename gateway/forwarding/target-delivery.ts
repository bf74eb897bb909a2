// Delivery to one target: a bounded set of events held (queued, in flight, waiting to retry),
// sent in batches (as many queued events as the sender takes, bounded in bytes, never waiting to
// fill one) with a limit on requests in flight, retries with backoff, a circuit breaker, and dead
// letters for what cannot be delivered. Each event carries its own delivery policy (the stricter
// of the routes that matched it) and is judged on its own answer: one bad event in a batch is
// retried or dead-lettered alone. Every event that enters leaves as delivered, dead-lettered, or
// (with the shared log) returned to the log for another replica:
// accepted = delivered + deadLettered + returned + inFlight, always.
//
// A target that keeps failing opens its circuit: no requests but one probe per cooldown, and the
// events wait without using up attempts (a short outage costs nothing). Each event has a deadline
// all the same: its policy's bound (maxAttempts attempts, each at most its timeout, with at most
// maxBackoff between them, from when the target took it); past it the event is dead-lettered as
// expired, so no event is held for as long as a target stays down.
import { afterTurn } from '../../src/after-turn.js';
import { BoundedQueue } from '../../src/limits/bounded-queue.js';
import type { Ticket } from '../log/event-log.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { DeadLetterReason, NewDeadLetter } from './dead-letters.js';
import type { CompiledPolicy } from './delivery-policy.js';
import type { Outgoing } from './outgoing.js';
import { backoffMs, classifyAttempt, type AttemptAnswer, type RetryRules, type SendResult } from './retry-policy.js';
import type { Sender } from './sender.js';
import type { Target } from './target.js';

interface Pending {
  outgoing: Outgoing;
  policy: CompiledPolicy;
  /** The route(s) that sent it here, for its dead letter. */
  route: string;
  attempts: number;
  /** When it is dead-lettered as expired if not delivered by then (its policy's deadline). */
  expiresAt: number;
  /** Its retry timer, while it waits for one. */
  timer?: NodeJS.Timeout | undefined;
  /** The log's hold on this event (shared log): settled when it leaves, renewed while it waits. */
  ticket?: Ticket | undefined;
  lastStatus?: string;
  lastError?: string;
}

export type AttemptResult = SendResult['outcome'];

const NO_ANSWER: AttemptAnswer = { protocol: 'none', status: 'no_answer', error: 'the sender gave no answer for this event' };

/** Requests that go with whatever is queued; more go only with full batches. */
const EAGER_REQUESTS = 2;

/** What a reload may change without losing what the delivery holds. */
export interface DeliverySettings {
  target: Target;
  /** Requests in flight at once. */
  concurrency: number;
  /** Bytes of events per request at most (one larger event still goes, alone). */
  maxBatchBytes: number;
  /** Most events held at once, queued, in flight and waiting to retry together. */
  capacity: number;
  breaker: { failureThreshold: number; cooldownMs: number };
}

export interface TargetDeliveryOptions extends DeliverySettings {
  sender: Sender;
  /** Stores a dead letter; a promise that rejects leaves the event to the log (it is returned, not settled). */
  deadLetter: (letter: NewDeadLetter) => void | Promise<unknown>;
  /** Attempts of events by outcome (`count` events at once: a request's events are counted together). */
  onAttempt?: (result: AttemptResult, count: number) => void;
  /** Each request: how many events it carried and how long it took. */
  onRequest?: (events: number, seconds: number) => void;
  /** The target failed often enough for its circuit to open (not told again while it stays open). */
  onCircuitOpened?: (lastError: string) => void;
  /** How often held tickets are renewed (below the log's acknowledgement wait). */
  holdIntervalMs?: number;
  /** How often held events are checked against their deadlines. */
  expiryCheckMs?: number;
  now?: () => number;
  random?: () => number;
}

export class TargetDelivery {
  target: Target;
  accepted = 0;
  delivered = 0;
  deadLettered = 0;
  /** Handed back to the shared log for another replica (shutdown, or a dead letter that could not be stored). */
  returned = 0;
  /** Requests answered, requests failed as a whole, and their total time (for the forwarding API). */
  requests = 0;
  requestSeconds = 0;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  lastDeliveredAt: number | undefined;
  breaker: CircuitBreaker;

  private settings: DeliverySettings;
  private sender: Sender;
  /** Senders replaced by a reload, closed once their last request is answered. */
  private readonly retired = new Map<Sender, number>();
  private readonly inUse = new Map<Sender, number>();
  private ready: BoundedQueue<Pending>;
  private readonly retryReady: Pending[] = [];
  /** Items whose retry timer is running, so close() can settle them. */
  private readonly parked = new Set<Pending>();
  private breakerTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Items holding a ticket, renewed while they wait. */
  private readonly ticketed = new Set<Pending>();
  private holdTimer: NodeJS.Timeout | undefined;
  /** Dead letters being stored: still held until the store answers. */
  private storing = 0;
  /** Bytes of the events queued (ready or due for a retry): what the next batches would carry. */
  private queuedBytes = 0;
  /** Events in requests now, and the requests. */
  private sending = 0;
  private active = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly options: TargetDeliveryOptions) {
    this.settings = options;
    this.target = options.target;
    this.sender = options.sender;
    this.now = options.now ?? Date.now;
    this.ready = new BoundedQueue(options.capacity);
    this.breaker = new CircuitBreaker(options.breaker.failureThreshold, options.breaker.cooldownMs, this.now);
  }

  /** Events held: queued, in flight, waiting to retry, or being dead-lettered. */
  get inFlight(): number {
    return this.ready.length + this.retryReady.length + this.parked.size + this.sending + this.storing;
  }

  get capacity(): number {
    return this.settings.capacity;
  }

  /** How the sender talks to the target now (batch, single, ...). */
  get mode(): string {
    return this.sender.mode;
  }

  /**
   * A reload changed this target's settings. What it holds stays; a smaller capacity dead-letters
   * the newest queued events beyond it (queue_full); a new sender (other TLS files, batch
   * settings, id) takes the next requests while the old one finishes its own.
   */
  reconfigure(settings: DeliverySettings, sender?: Sender): void {
    const before = this.settings;
    this.settings = settings;
    this.target = settings.target;
    if (settings.breaker.failureThreshold !== before.breaker.failureThreshold || settings.breaker.cooldownMs !== before.breaker.cooldownMs) {
      this.breaker = new CircuitBreaker(settings.breaker.failureThreshold, settings.breaker.cooldownMs, this.now);
    }
    if (settings.capacity !== before.capacity) {
      const queued: Pending[] = [];
      for (let p = this.ready.shift(); p; p = this.ready.shift()) queued.push(p);
      this.ready = new BoundedQueue(settings.capacity);
      for (const pending of queued) {
        if (this.ready.push(pending)) continue;
        this.queuedBytes -= pending.outgoing.bytes;
        this.toDeadLetters(pending, 'queue_full');
      }
    }
    if (sender) {
      const old = this.sender;
      this.sender = sender;
      if ((this.inUse.get(old) ?? 0) > 0) this.retired.set(old, 1);
      else {
        this.inUse.delete(old);
        old.close();
      }
    }
    this.pump();
    this.notifyIfIdle();
  }

  /**
   * Takes an event for delivery under `policy`. `ticket` is the shared log's hold on it;
   * `attemptsBefore` counts attempts another replica already made. When the target already holds
   * `capacity`, or the log's backlog for it is that long, the event is dead-lettered as queue_full.
   */
  enqueue(outgoing: Outgoing, policy: CompiledPolicy, route: string, ticket?: Ticket, attemptsBefore = 0): void {
    this.accepted++;
    const pending: Pending = { outgoing, policy, route, attempts: attemptsBefore, ticket, expiresAt: this.now() + policy.deadlineMs };
    if (ticket) this.hold(pending);
    if (this.closed) {
      this.leave(pending, 'shutdown');
      return;
    }
    const backlog = ticket?.backlog ?? 0;
    if (backlog >= this.settings.capacity || this.inFlight >= this.settings.capacity || !this.ready.push(pending)) {
      this.toDeadLetters(pending, 'queue_full');
      return;
    }
    this.queuedBytes += outgoing.bytes;
    this.expiryTimer ??= setInterval(() => this.expire(), this.options.expiryCheckMs ?? 1000).unref();
    this.pumpSoon();
  }

  /**
   * Sends once the caller's turn is over: the log hands events over one at a time, and sending
   * on the first of a turn's events would put it alone in a request (measured at 5,000 ev/s: 3.5
   * events per request, 2.7 requests per ingested request) where one request can carry them all.
   */
  private readonly pumpSoon = afterTurn(() => this.pump());

  /**
   * Why this target cannot take `count` more events, after `ahead` more on their way to it,
   * without dead-lettering one as queue_full (undefined when it can). A target whose circuit is
   * not closed never holds ingest up: its events wait out their deadline or are dead-lettered, as
   * a target that is down cannot be waited for. A batch larger than the whole queue never fits:
   * it is refused saying so (MAX_BATCH_SIZE above FORWARD_QUEUE_SIZE).
   */
  shortOfRoom(ahead: number, count: number): string | undefined {
    if (this.closed || this.breaker.state !== 'closed') return undefined;
    const capacity = this.settings.capacity;
    if (count > capacity) {
      return `${count} events at once are more than forwarding to ${this.target.id} may hold (FORWARD_QUEUE_SIZE ${capacity}); send smaller batches`;
    }
    const held = this.inFlight + ahead;
    if (held + count <= capacity) return undefined;
    return `forwarding to ${this.target.id} is behind: it holds ${held} events of the ${capacity} it may (FORWARD_QUEUE_SIZE); retry later`;
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
    clearTimeout(this.breakerTimer);
    clearInterval(this.expiryTimer);
    for (const pending of this.parked) {
      clearTimeout(pending.timer);
      this.leave(pending, reason);
    }
    this.parked.clear();
    for (let p = this.retryReady.shift(); p; p = this.retryReady.shift()) this.leave(p, reason);
    for (let p = this.ready.shift(); p; p = this.ready.shift()) this.leave(p, reason);
    this.sender.close();
    for (const old of this.retired.keys()) old.close();
    this.retired.clear();
    this.notifyIfIdle();
  }

  private pump(): void {
    while (!this.closed && this.active < this.settings.concurrency && (this.retryReady.length > 0 || this.ready.length > 0)) {
      // The first requests go with whatever is queued (low latency); beyond them only full batches
      // go, and the rest waits for an answer, so a busy target gets fewer, fuller requests.
      if (this.active >= EAGER_REQUESTS && !this.fullBatchQueued()) return;
      if (!this.breaker.allow()) {
        this.wakeAfterBreaker();
        return;
      }
      void this.attempt(this.takeBatch());
    }
  }

  private wakeAfterBreaker(): void {
    if (this.breakerTimer) return;
    this.breakerTimer = setTimeout(
      () => {
        this.breakerTimer = undefined;
        this.pump();
      },
      Math.max(10, this.breaker.waitMs()),
    );
  }

  /** Dead-letters every held event past its deadline that is not in a request now. */
  private expire(): void {
    if (this.inFlight === 0) {
      clearInterval(this.expiryTimer);
      this.expiryTimer = undefined;
      return;
    }
    const now = this.now();
    const due = (p: Pending) => now >= p.expiresAt;
    const expired: Pending[] = [];
    const unqueue = (p: Pending) => {
      this.queuedBytes -= p.outgoing.bytes;
      expired.push(p);
    };
    if (this.ready.length > 0 && this.someIn(this.ready, due)) {
      const kept: Pending[] = [];
      for (let p = this.ready.shift(); p; p = this.ready.shift()) {
        if (due(p)) unqueue(p);
        else kept.push(p);
      }
      for (const p of kept) this.ready.push(p);
    }
    for (let i = this.retryReady.length - 1; i >= 0; i--) if (due(this.retryReady[i]!)) unqueue(this.retryReady.splice(i, 1)[0]!);
    for (const p of this.parked) {
      if (!due(p)) continue;
      clearTimeout(p.timer);
      p.timer = undefined;
      this.parked.delete(p);
      expired.push(p);
    }
    for (const pending of expired) {
      pending.lastStatus ??= this.breaker.state === 'closed' ? 'not_attempted' : 'circuit_open';
      pending.lastError =
        `not delivered within ${pending.policy.deadlineMs} ms, its policy's bound (${pending.policy.retry.maxAttempts} attempts of up to ` +
        `${pending.policy.timeoutMs} ms, up to ${pending.policy.retry.maxBackoffMs} ms apart)` +
        (this.breaker.state === 'closed' ? '' : `; the target's circuit is open after ${this.settings.breaker.failureThreshold} failures in a row`) +
        (pending.lastError ? `; last error: ${pending.lastError}` : '');
      this.toDeadLetters(pending, 'expired');
    }
    if (expired.length > 0) this.notifyIfIdle();
  }

  private someIn(queue: BoundedQueue<Pending>, test: (p: Pending) => boolean): boolean {
    for (let i = 0; i < queue.length; i++) if (test(queue.at(i)!)) return true;
    return false;
  }

  private fullBatchQueued(): boolean {
    return this.ready.length + this.retryReady.length >= this.sender.maxEvents || this.queuedBytes >= this.settings.maxBatchBytes;
  }

  /** As many queued events as the sender takes and the byte bound allows (retries first), at least one. */
  private takeBatch(): Pending[] {
    const max = Math.max(1, this.sender.maxEvents);
    const batch: Pending[] = [];
    let bytes = 0;
    const fits = (next: Pending | undefined) =>
      next !== undefined && batch.length < max && (batch.length === 0 || bytes + next.outgoing.bytes <= this.settings.maxBatchBytes);
    while (fits(this.retryReady[0])) {
      const next = this.retryReady.shift()!;
      bytes += next.outgoing.bytes;
      batch.push(next);
    }
    while (fits(this.ready.peek())) {
      const next = this.ready.shift()!;
      bytes += next.outgoing.bytes;
      batch.push(next);
    }
    this.queuedBytes -= bytes;
    return batch;
  }

  private async attempt(batch: Pending[]): Promise<void> {
    const sender = this.sender;
    this.active++;
    this.sending += batch.length;
    this.inUse.set(sender, (this.inUse.get(sender) ?? 0) + 1);
    for (const pending of batch) pending.attempts++;
    const timeoutMs = Math.max(...batch.map((p) => p.policy.timeoutMs));
    const started = performance.now();
    let results: SendResult[];
    try {
      const answers = await sender.send(
        batch.map((p) => p.outgoing),
        timeoutMs,
        batch.map((p) => p.attempts),
      );
      // Senders reuse one answer object for events answered alike: judged once per policy.
      let last: { answer: AttemptAnswer; rules: RetryRules; result: SendResult } | undefined;
      results = batch.map((pending, i) => {
        const answer = answers[i] ?? NO_ANSWER;
        if (last?.answer === answer && last.rules === pending.policy.rules) return last.result;
        last = { answer, rules: pending.policy.rules, result: classifyAttempt(answer, pending.policy.rules) };
        return last.result;
      });
    } catch (error) {
      results = batch.map(() => ({ outcome: 'retry' as const, status: 'error', error: (error as Error).message }));
    }
    const seconds = (performance.now() - started) / 1000;
    this.active--;
    this.sending -= batch.length;
    this.releaseSender(sender);
    this.requests++;
    this.requestSeconds += seconds;
    this.options.onRequest?.(batch.length, seconds);
    this.judgeTarget(results);
    this.countAttempts(results);
    batch.forEach((pending, i) => {
      const result = results[i]!;
      if (this.closed) {
        // close() ran while this request was out: its outcome decides, nothing else may follow.
        if (result.outcome === 'delivered') this.markDelivered(pending);
        else this.leave(Object.assign({}, pending, { lastStatus: result.status, lastError: result.error }), 'shutdown');
      } else {
        this.judge(pending, result);
      }
    });
    this.pump();
    this.notifyIfIdle();
  }

  private countAttempts(results: SendResult[]): void {
    if (!this.options.onAttempt) return;
    const counts = { delivered: 0, retry: 0, failed: 0 };
    for (const result of results) counts[result.outcome]++;
    for (const [outcome, count] of Object.entries(counts) as [AttemptResult, number][]) if (count > 0) this.options.onAttempt(outcome, count);
  }

  /** The circuit judges requests: one whose every event is to be retried is a failure of the target. */
  private judgeTarget(results: SendResult[]): void {
    const failedWhole = results.every((r) => r.outcome === 'retry');
    if (failedWhole) {
      const error = (results[0] as Extract<SendResult, { outcome: 'retry' }>).error;
      this.lastError = error;
      this.lastErrorAt = this.now();
      if (this.breaker.failed()) this.options.onCircuitOpened?.(error);
      return;
    }
    // The target answered: it is up, whatever it made of each event.
    this.breaker.succeeded();
    for (const result of results) {
      if (result.outcome === 'delivered') continue;
      this.lastError = result.error;
      this.lastErrorAt = this.now();
      break;
    }
  }

  private judge(pending: Pending, result: SendResult): void {
    if (result.outcome === 'delivered') {
      this.markDelivered(pending);
      return;
    }
    pending.lastStatus = result.status;
    pending.lastError = result.error;
    if (result.outcome === 'failed') {
      this.toDeadLetters(pending, 'rejected');
      return;
    }
    const retry = pending.policy.retry;
    if (pending.attempts >= retry.maxAttempts) {
      this.toDeadLetters(pending, 'attempts_exhausted');
      return;
    }
    const wait = backoffMs(retry, pending.attempts, result.retryAfterMs, this.options.random);
    this.parked.add(pending);
    // Its deadline may pass while it waits: the next expiry check dead-letters it then.
    this.expiryTimer ??= setInterval(() => this.expire(), this.options.expiryCheckMs ?? 1000).unref();
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      this.parked.delete(pending);
      this.retryReady.push(pending);
      this.queuedBytes += pending.outgoing.bytes;
      this.pump();
    }, wait);
  }

  private releaseSender(sender: Sender): void {
    const left = (this.inUse.get(sender) ?? 1) - 1;
    // The current sender keeps its entry, at 0: deleting and adding it again around every request
    // made V8 reallocate the Map's table each time (~80 KB/s that outlived young collections).
    if (left > 0 || sender === this.sender) {
      this.inUse.set(sender, left);
      return;
    }
    this.inUse.delete(sender);
    if (this.retired.delete(sender)) sender.close();
  }

  private markDelivered(pending: Pending): void {
    this.delivered++;
    this.lastDeliveredAt = this.now();
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
      event: pending.outgoing.event,
      route: pending.route,
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
