// The embedded event log: one process, nothing to install. Accepted events enter a bounded
// buffer; a dispatch loop stores each in a ring (bounded by count and age: the history replay
// and catch-up read) and fans it out to the live sinks, in batches, yielding to I/O between
// them. A full buffer refuses the event (429 / RESOURCE_EXHAUSTED); nothing is dropped silently.
// Shared consumers (forwarding targets) get every event the moment it is dispatched, so the log
// admits no more than the shortest of them has room for: a target that falls behind slows ingest
// (callers wait, then are refused) instead of having events dead-lettered from a full queue.
// What it holds lives as long as the process: a restart starts an empty log.
import type { McpEvent } from '../../src/event/index.js';
import { BoundedQueue } from '../../src/limits/bounded-queue.js';
import { Envelope } from './envelope.js';
import type {
  AppendOutcome,
  EventLog,
  LogReader,
  LogSink,
  LogState,
  ReadResult,
  ReadStart,
  SharedConsumer,
  SharedConsumerOptions,
  Ticket,
} from './event-log.js';
import { RecentIds } from './recent-ids.js';

export interface MemoryLogOptions {
  /** Events accepted but not yet dispatched. */
  bufferSize: number;
  /** Events kept for replay and catch-up, and for how long. */
  history: { size: number; retentionMs: number };
  /** A repeated event_id within this window (and count) is answered `duplicate`. */
  dedupe: { size: number; ttlMs: number };
  /** Most events dispatched per turn of the event loop before yielding to I/O. */
  batchSize?: number;
  /** Most time spent dispatching per turn: with a thousand subscribers one event is a thousand
   * writes, so a count alone could hold the loop (and ingest) for a long time. */
  turnBudgetMs?: number;
  now?: () => number;
  onDispatched?: (count: number) => void;
}

/** A shared consumer of a one-process log: there is no other replica, so settling is a no-op. */
const LOCAL_TICKET: Ticket = { backlog: 0, redeliveries: 0, returnable: false, settle() {}, hold() {}, giveBack() {} };

export class MemoryLog implements EventLog {
  readonly kind = 'memory' as const;
  private readonly buffer: BoundedQueue<Envelope>;
  private readonly ring: BoundedQueue<Envelope> | undefined;
  private readonly retentionMs: number;
  private readonly recentIds: RecentIds;
  private readonly sinks: LogSink[] = [];
  /** Shared consumers that can run short of room (SharedConsumerOptions.shortOfRoom). */
  private readonly roomChecks: ((ahead: number, count: number) => string | undefined)[] = [];
  private readonly batchSize: number;
  private readonly turnBudgetMs: number;
  private readonly now: () => number;
  private readonly onDispatched: (count: number) => void;
  private scheduled = false;
  private open = true;
  private drainWaiters: (() => void)[] = [];
  /**
   * Positions start at the start time in microseconds, not at 1: a position a client kept from an
   * earlier process is then older than anything this one holds, and resuming from it is reported
   * as lost events instead of silently skipping this process's first ones.
   */
  private nextPosition: number;
  livePosition: number;
  /** Events accepted since start. */
  accepted = 0;
  /** Events stored in the ring and given to every sink. */
  dispatched = 0;

  constructor(options: MemoryLogOptions) {
    this.buffer = new BoundedQueue(options.bufferSize);
    this.ring = options.history.size > 0 ? new BoundedQueue(options.history.size) : undefined;
    this.retentionMs = options.history.retentionMs;
    this.now = options.now ?? Date.now;
    this.recentIds = new RecentIds(options.dedupe.size, options.dedupe.ttlMs, this.now);
    this.batchSize = options.batchSize ?? 256;
    this.turnBudgetMs = options.turnBudgetMs ?? 5;
    this.onDispatched = options.onDispatched ?? (() => {});
    this.nextPosition = this.now() * 1000;
    this.livePosition = this.nextPosition - 1;
  }

  get accepting(): boolean {
    return this.open;
  }

  async start(): Promise<void> {}

  hasRoomFor(count: number): boolean {
    return this.whyNoRoomFor(count) === undefined;
  }

  /** Room in the buffer, and in every consumer for what the buffer already holds (it goes to them next) and `count` more. */
  whyNoRoomFor(count: number): string | undefined {
    if (this.buffer.capacity - this.buffer.length < count) return this.bufferFullMessage();
    return this.consumersShortOfRoom(count);
  }

  private bufferFullMessage(): string {
    return `the ingest buffer is full (BUFFER_SIZE ${this.buffer.capacity}); retry later`;
  }

  /** Why a shared consumer cannot take `count` more events after what the buffer holds for it. */
  private consumersShortOfRoom(count: number): string | undefined {
    for (const shortOfRoom of this.roomChecks) {
      const why = shortOfRoom(this.buffer.length, count);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  /**
   * Synchronous underneath: every outcome is known before this returns. The consumers' room is
   * judged once for the whole append, as admission judged it (all of it or none); the buffer's,
   * event by event.
   */
  append(events: readonly McpEvent[], origin?: string): Promise<AppendOutcome[]> {
    const consumersShort = this.consumersShortOfRoom(events.length);
    return Promise.resolve(events.map((event) => this.store(event, origin, consumersShort)));
  }

  /** The same as append() for one event, without a promise (the memory log never waits). */
  appendOne(event: McpEvent, origin?: string): AppendOutcome {
    return this.store(event, origin, this.consumersShortOfRoom(1));
  }

  private store(event: McpEvent, origin: string | undefined, consumersShort: string | undefined): AppendOutcome {
    if (!this.open)
      return { status: 'refused', reason: 'unavailable', message: 'the gateway is shutting down and takes no new events', retryAfterSeconds: 1 };
    // A repeat is answered as such even when there is no room: it needs none.
    if (this.recentIds.has(event.event_id)) return { status: 'duplicate' };
    const noRoom = this.buffer.isFull ? this.bufferFullMessage() : consumersShort;
    if (noRoom !== undefined) return { status: 'refused', reason: 'full', message: noRoom, retryAfterSeconds: 1 };
    this.recentIds.remember(event.event_id);
    const position = this.nextPosition++;
    this.buffer.push(new Envelope(event, position, this.now(), origin));
    this.accepted++;
    this.schedule();
    return { status: 'stored', position };
  }

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  /** One process: every event goes to the consumer as it is dispatched. */
  consumeShared(_name: string, handler: (envelope: Envelope, ticket: Ticket) => void, options: SharedConsumerOptions): SharedConsumer {
    const sink: LogSink = { dispatch: (envelope) => handler(envelope, LOCAL_TICKET) };
    this.sinks.push(sink);
    const shortOfRoom = options.shortOfRoom;
    if (shortOfRoom) this.roomChecks.push(shortOfRoom);
    const detach = async () => {
      const index = this.sinks.indexOf(sink);
      if (index >= 0) this.sinks.splice(index, 1);
      const check = shortOfRoom ? this.roomChecks.indexOf(shortOfRoom) : -1;
      if (check >= 0) this.roomChecks.splice(check, 1);
    };
    return { stop: detach, remove: detach };
  }

  onConnectionChange(): void {}

  /** A reader from a time starts at the oldest event held: the ring is small enough to read whole,
   * and a reader filtering on the events' own timestamps then misses none. */
  openReader(start: ReadStart): LogReader {
    let next = 'after' in start ? start.after + 1 : undefined;
    return {
      next: (max) => {
        this.expire();
        next ??= this.ring?.peek()?.position ?? this.livePosition + 1;
        const result = this.read(next, max);
        if ('entries' in result) next = result.next;
        return Promise.resolve(result);
      },
      close() {},
    };
  }

  state(): LogState {
    return {
      kind: 'memory',
      connected: true,
      name: 'memory',
      pending: this.buffer.length,
      capacity: this.buffer.capacity,
      firstPosition: this.ring?.peek()?.position,
      lastPosition: this.ring && this.ring.length > 0 ? this.livePosition : undefined,
      held: this.ring?.length ?? 0,
      accepted: this.accepted,
      dispatched: this.dispatched,
    };
  }

  close(): void {
    this.open = false;
  }

  drained(): Promise<void> {
    if (this.buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async stop(): Promise<void> {}

  /** Drops events older than the retention; called on reads and by a timer. */
  expire(): void {
    if (!this.ring) return;
    const cutoff = this.now() - this.retentionMs;
    while (this.ring.length > 0 && this.ring.peek()!.receivedAt < cutoff) this.ring.shift();
  }

  /** Up to `max` entries from `position` on. Positions in the ring are consecutive, so it is an index. */
  private read(position: number, max: number): ReadResult {
    const ring = this.ring;
    const first = ring?.peek()?.position ?? this.livePosition + 1;
    if (position < first) return { lost: { from: position, to: first - 1 } };
    const entries: Envelope[] = [];
    if (ring) for (let i = position - first; i < ring.length && entries.length < max; i++) entries.push(ring.at(i)!);
    return { entries, next: entries.length > 0 ? entries.at(-1)!.position + 1 : Math.max(position, this.livePosition + 1) };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.dispatchBatch);
  }

  private readonly dispatchBatch = (): void => {
    this.scheduled = false;
    const started = performance.now();
    let count = 0;
    while (count < this.batchSize) {
      const envelope = this.buffer.shift();
      if (envelope === undefined) break;
      if (this.ring) {
        if (this.ring.isFull) this.ring.shift();
        this.ring.push(envelope);
      }
      this.livePosition = envelope.position;
      for (const sink of this.sinks) sink.dispatch(envelope);
      count++;
      if (performance.now() - started >= this.turnBudgetMs) break;
    }
    this.dispatched += count;
    if (count > 0) this.onDispatched(count);
    if (this.buffer.length > 0) {
      this.schedule();
    } else if (this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
}
