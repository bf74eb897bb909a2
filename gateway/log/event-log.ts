// The event log every accepted event is appended to, and everything downstream reads from:
// live fan-out to this replica's subscribers, replay and catch-up at a reader's own pace, and
// (through shared consumers) forwarding and Kubernetes Events once per event across replicas.
// Two kinds: `memory` (one process) and `jetstream` (a NATS JetStream stream shared by replicas).
// The rest of the gateway does not know which one it has.
import type { McpEvent } from '../../src/event/index.js';
import type { Envelope } from './envelope.js';

export type LogKind = 'memory' | 'jetstream';

export type AppendOutcome =
  /** Stored (with jetstream: acknowledged by the store) at this position. */
  | { status: 'stored'; position: number }
  /** This event_id was stored before, within the duplicate window: not stored again. */
  | { status: 'duplicate' }
  /** Not stored: `full` (retry soon; 429) or `unavailable` (the log cannot be reached; 503). */
  | { status: 'refused'; reason: 'full' | 'unavailable'; message: string; retryAfterSeconds: number };

/** Receives every event of the log in log order, in this replica, synchronously. */
export interface LogSink {
  dispatch(envelope: Envelope): void;
  /** These positions left the log (its limits) before this replica could fan them out. */
  gap?(from: number, to: number): void;
}

/** Where a reader starts: after a position, or at the oldest event stored at or after a time. */
export type ReadStart = { after: number } | { fromTime: number };

export type ReadResult =
  /** The next entries in log order, empty when the reader is at the end of the log (for now), and
   * the position the reader reads next. */
  | { entries: Envelope[]; next: number }
  /** The log no longer holds the reader's next position: these positions are gone. */
  | { lost: { from: number; to: number } };

/** A cursor reading the log at its own pace; holds at most one page in memory. */
export interface LogReader {
  next(max: number): Promise<ReadResult>;
  close(): void;
}

/** What subscribers need of the log: readers, and where the live fan-out is. */
export interface LogSource {
  /** The newest position given to this replica's sinks. */
  readonly livePosition: number;
  openReader(start: ReadStart): LogReader;
}

export interface LogState {
  kind: LogKind;
  /** Reachable and taking events (memory: always, until closed). */
  connected: boolean;
  /** Stream name (jetstream) or 'memory'. */
  name: string;
  /** Events accepted but not yet stored and fanned out (memory) or awaiting the store's acknowledgement (jetstream). */
  pending: number;
  capacity: number;
  /** Oldest and newest positions held, when known. */
  firstPosition?: number | undefined;
  lastPosition?: number | undefined;
  /** Events held for replay and catch-up. */
  held: number;
  /** Events this replica appended since start. */
  accepted: number;
  /** Events given to this replica's sinks since start. */
  dispatched: number;
}

export interface EventLog extends LogSource, SharedConsumers {
  readonly kind: LogKind;
  /** Connects and creates (or updates) what the log needs; a ConfigError names the setting at fault. */
  start(): Promise<void>;
  /** True while new events can be appended: open, and (jetstream) connected. */
  readonly accepting: boolean;
  /** True when `count` more events fit right now (all-or-nothing batches). */
  hasRoomFor(count: number): boolean;
  /** Why `count` more events do not fit right now (for the refusal's message); undefined when they do. */
  whyNoRoomFor(count: number): string | undefined;
  /** Appends in order; one outcome per event. Resolves once each is stored or refused. */
  append(events: readonly McpEvent[], origin?: string): Promise<AppendOutcome[]>;
  /** One event, answered at once: only a log that never waits to store (memory) has it. */
  appendOne?(event: McpEvent, origin?: string): AppendOutcome;
  /** Adds a live sink before traffic starts. */
  addSink(sink: LogSink): void;
  /** Told whenever `connected` changes (readiness, status, logs). */
  onConnectionChange(listener: (connected: boolean) => void): void;
  state(): LogState;
  /** Stops intake; what was accepted is still stored and fanned out. */
  close(): void;
  /** Resolves once everything accepted has been fanned out to the local sinks. */
  drained(): Promise<void>;
  /** Releases connections and timers; after close() and drained(). */
  stop(): Promise<void>;
}

/** One event handed to a shared consumer, until the consumer settles it. */
export interface Ticket {
  /** Events waiting for this consumer behind this one (0 when the log cannot tell). */
  readonly backlog: number;
  /** Times this event was handed out before (a replica died or took too long with it). */
  readonly redeliveries: number;
  /** Dealt with (delivered, dead-lettered, or not for this consumer): never hand it out again. */
  settle(): void;
  /** Still being worked on (waiting to retry): keep it from being handed to another replica. */
  hold(): void;
  /** True when giveBack() returns it to the log for another consumer (the shared log); the memory
   * log has no other consumer to give it to. */
  readonly returnable: boolean;
  /** Not dealt with here (this replica is stopping): hand it out again, to another replica or to this one later. */
  giveBack(): void;
}

export interface SharedConsumerOptions {
  /** Events handed out and not yet settled, at most. */
  maxHeld: number;
  /** A human-readable description of what consumes (logs, the store's consumer description). */
  description: string;
  /**
   * Consumers this one takes the place of (names an earlier version used for the same work). A
   * new consumer starts at the oldest event any of them had not settled, and they are removed, so
   * nothing they held is lost (some may come again: at least once). Ignored by the memory log.
   */
  replaces?: readonly string[];
  /**
   * Whether the consumer can take `count` more events now, after the `ahead` the log already
   * holds for it, without dead-lettering one (undefined when it can; else why not, for the
   * message ingest refuses with). A log that hands events out
   * as they are appended (memory) admits no more while a consumer is short of room, so a slow
   * consumer slows ingest instead of losing events to a full queue; a log that keeps the backlog
   * itself (JetStream) lets the consumer read at its own pace and does not ask.
   */
  shortOfRoom?: (ahead: number, count: number) => string | undefined;
}

export interface SharedConsumer {
  /** Stops taking events; unsettled ones go back to the log (jetstream) for another replica. */
  stop(): Promise<void>;
  /** Deletes the consumer's position too (a target removed from the config). */
  remove(): Promise<void>;
}

/** Each event once across every replica (forwarding targets, Kubernetes Events), at least once:
 * an event not settled when its replica dies is handed to another. */
export interface SharedConsumers {
  consumeShared(name: string, handler: (envelope: Envelope, ticket: Ticket) => void, options: SharedConsumerOptions): SharedConsumer;
}
