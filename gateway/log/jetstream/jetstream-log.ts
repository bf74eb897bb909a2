// The shared event log: a NATS JetStream stream every replica of a gateway appends to and reads.
// - append: pipelined publishes, each answered once JetStream acknowledged it (stored), with the
//   event id as the message id (a repeat within the duplicate window, to any replica, is a duplicate).
// - live: one ordered consumer per replica reads the whole stream and fans it out to the local
//   sinks, so every replica's subscribers see every event.
// - readers: direct gets a page at a time from any position (replay, catch-up), no consumer each;
//   the replica's readers share recently read pages (page-cache.ts).
// - shared consumers: a durable pull consumer per name (forwarding target, Kubernetes Events),
//   shared by the replicas: each event goes to one of them, and comes back if that one dies first.
import { nanos } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { McpEvent } from '../../../src/event/index.js';
import type { Logger } from '../../../src/observability/logger.js';
import type { Envelope } from '../envelope.js';
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
} from '../event-log.js';
import { encodeEvent, eventHeaders, toEnvelope } from './codec.js';
import { connectNats, type NatsLink } from './connection.js';
import { isConsumerNotFound, isNoMessage } from './errors.js';
import { PageCache, type PageEntry } from './page-cache.js';
import { patiently } from './start-patience.js';
import { AckedPublisher, type PublishResult } from './publisher.js';
import type { JetStreamSettings } from './settings.js';
import { deadLetterStreamSpec, ensureStream, eventsStreamSpec } from './stream-setup.js';

export interface JetStreamLogOptions {
  settings: JetStreamSettings;
  /** Publishes awaiting acknowledgement at most (BUFFER_SIZE): beyond it ingest answers 429. */
  maxPending: number;
  maxEventSize: number;
  deadLetterMaxEntries: number;
  /** This process, for the NATS connection name. */
  instance: string;
  logger: Logger;
}

/**
 * Readers from a time start this much earlier in log order, then skip events whose own timestamp
 * is earlier: an event stamped by its producer a little after it was stored is still found.
 */
export const REPLAY_SKEW_MS = 10_000;
/** How often stream state (first/last position, size) is refreshed for status and metrics. */
const STATE_REFRESH_MS = 2_000;
/** Wait before retrying to set up a shared consumer the store refused or could not be reached for. */
const CONSUMER_RETRY_MS = 1_000;
/** Pages readers share: at most this many full pages (of a reader's page size, 256 for subscribers), each for this long. */
const SHARED_PAGES = { maxPages: 16, ttlMs: 5_000 };

export class JetStreamLog implements EventLog {
  readonly kind = 'jetstream' as const;
  private readonly settings: JetStreamSettings;
  private readonly logger: Logger;
  private readonly sinks: LogSink[] = [];
  private link: NatsLink | undefined;
  private jsm: JetStreamManager | undefined;
  private js: JetStreamClient | undefined;
  private publisher: AckedPublisher | undefined;
  private tail: ConsumerMessages | undefined;
  private open = true;
  private started = false;
  private readonly connectionListeners: ((connected: boolean) => void)[] = [];
  /** Shared consumers asked for before start: set up by start(), before the gateway takes events. */
  private readonly deferred: (() => Promise<void>)[] = [];
  private readonly shared = new Set<DurableConsumer>();
  private stateTimer: NodeJS.Timeout | undefined;
  private streamState: { first?: number; last?: number; messages: number } = { messages: 0 };
  private readonly pages = new PageCache<Envelope>((seq, max) => this.loadPage(seq, max), SHARED_PAGES);
  livePosition = 0;
  /** Events stored by this replica since start. */
  accepted = 0;
  /** Events given to this replica's sinks since start. */
  dispatched = 0;

  constructor(private readonly options: JetStreamLogOptions) {
    this.settings = options.settings;
    this.logger = options.logger;
  }

  get accepting(): boolean {
    return this.open && this.started && (this.link?.connected ?? false);
  }

  get stream(): string {
    return this.settings.stream;
  }

  /** The connection and manager, for the dead-letter store and the cursor store (after start). */
  get clients(): { link: NatsLink; jsm: JetStreamManager; js: JetStreamClient } {
    if (!this.link || !this.jsm || !this.js) throw new Error('the JetStream log is not started');
    return { link: this.link, jsm: this.jsm, js: this.js };
  }

  async start(): Promise<void> {
    const { settings, logger } = this;
    this.link = await connectNats(settings.config, `tas-mcp-gateway ${this.options.instance}`, logger);
    this.jsm = await jetstreamManager(this.link.nc, { timeout: settings.config.publishTimeout });
    this.js = jetstream(this.link.nc, { timeout: settings.config.publishTimeout });
    const jsm = this.jsm;
    const events = await patiently('event stream', () => ensureStream(jsm, eventsStreamSpec(settings, this.options.maxEventSize)), logger);
    const letters = await patiently(
      'dead-letter stream',
      () => ensureStream(jsm, deadLetterStreamSpec(settings, this.options.deadLetterMaxEntries, this.options.maxEventSize)),
      logger,
    );
    logger.info({ stream: settings.stream, events, deadLetters: letters, urls: settings.config.urls }, 'JetStream log ready');
    this.publisher = new AckedPublisher(this.link.nc, settings.config.publishTimeout);
    this.link.onChange((connected) => {
      // Acknowledgements of publishes in flight may never come: answer them now (503; a retry is a duplicate at worst).
      if (!connected) this.publisher?.failAll('the connection to NATS broke before JetStream acknowledged the event');
      if (connected) void this.refreshState();
      for (const listener of this.connectionListeners) listener(connected);
    });
    const info = await patiently('stream info', () => jsm.streams.info(settings.stream), logger);
    this.livePosition = info.state.last_seq;
    this.streamState = { first: info.state.first_seq, last: info.state.last_seq, messages: info.state.messages };
    await patiently('live tail', () => this.startTail(info.state.last_seq + 1), logger);
    // Shared consumers are in place before the gateway takes events: none is created after events it should see.
    for (const setup of this.deferred.splice(0)) await setup();
    this.stateTimer = setInterval(() => {
      void this.refreshState();
      this.pages.expire();
    }, STATE_REFRESH_MS).unref();
    this.started = true;
  }

  hasRoomFor(count: number): boolean {
    return (this.publisher?.pending ?? 0) + count <= this.options.maxPending;
  }

  whyNoRoomFor(count: number): string | undefined {
    if (this.hasRoomFor(count)) return undefined;
    return `${this.options.maxPending} events are waiting for the event log's acknowledgement (BUFFER_SIZE); retry later`;
  }

  /** Publishes every event before awaiting any acknowledgement, so one caller's events keep their order. */
  async append(events: readonly McpEvent[], origin?: string): Promise<AppendOutcome[]> {
    const refusal = this.refusal(events.length);
    if (refusal) return events.map(() => refusal);
    const publisher = this.publisher!;
    const subject = this.settings.eventsSubject;
    const results = await Promise.all(events.map((event) => publisher.publish(subject, encodeEvent(event), eventHeaders(event, origin))));
    return results.map((result) => this.outcome(result));
  }

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  onConnectionChange(listener: (connected: boolean) => void): void {
    this.connectionListeners.push(listener);
  }

  openReader(start: ReadStart): LogReader {
    return new DirectReader(this, start);
  }

  consumeShared(name: string, handler: (envelope: Envelope, ticket: Ticket) => void, options: SharedConsumerOptions): SharedConsumer {
    const consumer = new DurableConsumer(this, name, handler, options, this.logger);
    this.shared.add(consumer);
    if (this.started) void consumer.run();
    else this.deferred.push(() => consumer.run());
    return {
      stop: async () => {
        this.shared.delete(consumer);
        await consumer.stop();
      },
      remove: async () => {
        this.shared.delete(consumer);
        await consumer.stop();
        await consumer.remove();
      },
    };
  }

  state(): LogState {
    return {
      kind: 'jetstream',
      connected: this.link?.connected ?? false,
      name: this.settings.stream,
      pending: this.publisher?.pending ?? 0,
      capacity: this.options.maxPending,
      firstPosition: this.streamState.first,
      lastPosition: this.streamState.last,
      held: this.streamState.messages,
      accepted: this.accepted,
      dispatched: this.dispatched,
    };
  }

  close(): void {
    this.open = false;
  }

  async drained(): Promise<void> {
    while ((this.publisher?.pending ?? 0) > 0) await sleep(5);
  }

  async stop(): Promise<void> {
    clearInterval(this.stateTimer);
    await Promise.all([...this.shared].map((consumer) => consumer.stop()));
    await this.tail?.close().catch(() => undefined);
    this.publisher?.close();
    await this.link?.close();
  }

  /** How long a shared consumer's event may go unsettled before another replica gets it. */
  get ackWaitMs(): number {
    return this.settings.config.ackWait;
  }

  /** Up to `max` stored events from `seq` on (direct get; no consumer), or, when there are none,
   * the stream's first and last positions. */
  async readFrom(seq: number, max: number): Promise<{ messages: StoredMsg[] } | { messages: []; first: number; last: number }> {
    const messages = await this.getBatch(seq, max);
    if (messages.length > 0) return { messages };
    const info = await this.clients.jsm.streams.info(this.settings.stream);
    return { messages: [], first: info.state.first_seq, last: info.state.last_seq };
  }

  /** The entries at and after `seq` of the shared page of `max` holding it, or undefined when that page holds none (see PageCache.read). */
  sharedPage(seq: number, max: number): Promise<PageEntry<Envelope>[] | undefined> {
    return this.pages.read(seq, max);
  }

  private async getBatch(seq: number, max: number): Promise<StoredMsg[]> {
    const { jsm } = this.clients;
    const messages: StoredMsg[] = [];
    try {
      const batch = await jsm.direct.getBatch(this.settings.stream, { seq, batch: max });
      for await (const message of batch) messages.push(message);
    } catch (error) {
      if (!isNoMessage(error)) throw error;
    }
    return messages;
  }

  private async loadPage(seq: number, max: number): Promise<PageEntry<Envelope>[]> {
    const messages = await this.getBatch(seq, max);
    return messages.map((message) => ({
      position: message.seq,
      value: toEnvelope(message.data, message.seq, message.time.getTime(), message.header),
    }));
  }

  /** The first position stored at or after `time` (ms), or the next position to be written. */
  async positionAt(time: number): Promise<number> {
    const { jsm } = this.clients;
    try {
      const message = await jsm.direct.getMessage(this.settings.stream, { start_time: new Date(time) });
      if (message) return message.seq;
    } catch (error) {
      if (!isNoMessage(error)) throw error;
    }
    const info = await jsm.streams.info(this.settings.stream);
    return info.state.last_seq + 1;
  }

  private refusal(count: number): AppendOutcome | undefined {
    if (!this.open)
      return { status: 'refused', reason: 'unavailable', message: 'the gateway is shutting down and takes no new events', retryAfterSeconds: 1 };
    if (!this.accepting) {
      return {
        status: 'refused',
        reason: 'unavailable',
        message: 'the event log is unreachable (NATS JetStream is disconnected); retry later',
        retryAfterSeconds: 2,
      };
    }
    const noRoom = this.whyNoRoomFor(count);
    if (noRoom) return { status: 'refused', reason: 'full', message: noRoom, retryAfterSeconds: 1 };
    return undefined;
  }

  private outcome(result: PublishResult): AppendOutcome {
    switch (result.kind) {
      case 'stored':
        this.accepted++;
        return { status: 'stored', position: result.seq };
      case 'duplicate':
        return { status: 'duplicate' };
      case 'error': {
        const full = isStoreFull(result.code, result.description);
        return {
          status: 'refused',
          reason: full ? 'full' : 'unavailable',
          message: `the event log refused the event: ${result.description}`,
          retryAfterSeconds: full ? 5 : 2,
        };
      }
      case 'unknown':
        return {
          status: 'refused',
          reason: 'unavailable',
          message: `the event log did not confirm the event: ${result.description}; retry it (a repeat is answered duplicate)`,
          retryAfterSeconds: 1,
        };
    }
  }

  /** This replica's live fan-out: an ordered consumer over the whole stream from `fromSeq`. */
  private async startTail(fromSeq: number): Promise<void> {
    const { js } = this.clients;
    const consumer = await js.consumers.get(this.settings.stream, {
      filter_subjects: [this.settings.eventsSubject],
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    });
    this.tail = await consumer.consume({
      max_messages: 1000,
      callback: (message: JsMsg) => this.dispatch(message),
    });
  }

  private dispatch(message: JsMsg): void {
    const position = message.seq;
    if (position <= this.livePosition) return; // an ordered consumer restarted behind us
    const expected = this.livePosition + 1;
    if (position > expected && this.livePosition > 0) {
      // Events left the stream (limits) before this replica read them.
      for (const sink of this.sinks) sink.gap?.(expected, position - 1);
    }
    this.livePosition = position;
    const envelope = toEnvelope(message.data, position, Math.floor(message.info.timestampNanos / 1e6), message.headers);
    if (!envelope) {
      this.logger.warn({ position, subject: message.subject }, 'a message in the event stream is not an event; skipped');
      return;
    }
    this.dispatched++;
    for (const sink of this.sinks) sink.dispatch(envelope);
  }

  private async refreshState(): Promise<void> {
    if (!this.jsm || !this.link?.connected) return;
    try {
      const info = await this.jsm.streams.info(this.settings.stream);
      this.streamState = { first: info.state.first_seq, last: info.state.last_seq, messages: info.state.messages };
    } catch {
      // Reported through `connected`; the next refresh tries again.
    }
  }
}

/** A cursor over the stream by direct gets: stateless on the server, one page in memory. */
class DirectReader implements LogReader {
  private position: number | undefined;

  constructor(
    private readonly log: JetStreamLog,
    private readonly start: ReadStart,
  ) {
    if ('after' in start) this.position = start.after + 1;
  }

  async next(max: number): Promise<ReadResult> {
    this.position ??= await this.log.positionAt(Math.max(0, (this.start as { fromTime: number }).fromTime - REPLAY_SKEW_MS));
    const requested = this.position;
    const shared = await this.log.sharedPage(requested, max);
    if (shared) {
      if (shared[0]!.position > requested) return { lost: { from: requested, to: shared[0]!.position - 1 } };
      this.position = shared.at(-1)!.position + 1;
      return { entries: shared.flatMap((entry) => (entry.value ? [entry.value] : [])), next: this.position };
    }
    // Nothing at or after it on its page: ask the store (the end of the log, or what was there is gone).
    const read = await this.log.readFrom(requested, max);
    if (!('first' in read)) {
      const { messages } = read;
      if (messages[0]!.seq > requested) return { lost: { from: requested, to: messages[0]!.seq - 1 } };
      const entries: Envelope[] = [];
      for (const message of messages) {
        const envelope = toEnvelope(message.data, message.seq, message.time.getTime(), message.header);
        if (envelope) entries.push(envelope);
      }
      this.position = messages.at(-1)!.seq + 1;
      return { entries, next: this.position };
    }
    // Nothing at or after it: past the end, or what was there is gone.
    if (requested <= read.last) return { lost: { from: requested, to: read.last } };
    return { entries: [], next: requested };
  }

  close(): void {}
}

/** One durable pull consumer, shared by every replica under the same name. */
class DurableConsumer {
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: JetStreamLog,
    private readonly name: string,
    private readonly handler: (envelope: Envelope, ticket: Ticket) => void,
    private readonly options: SharedConsumerOptions,
    private readonly logger: Logger,
  ) {}

  /** Creates (or updates) the consumer and starts taking events; retries while the store cannot be reached. */
  async run(): Promise<void> {
    if (this.stopped) return;
    try {
      const consumer = await this.ensure();
      if (this.stopped) return;
      this.messages = await consumer.consume({
        max_messages: Math.min(this.options.maxHeld, 256),
        callback: (message: JsMsg) => this.take(message),
      });
    } catch (error) {
      this.logger.warn(
        { consumer: this.name, description: this.options.description, error: (error as Error).message },
        'cannot set up a shared log consumer; retrying',
      );
      this.retryTimer = setTimeout(() => void this.run(), CONSUMER_RETRY_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.messages?.close().catch(() => undefined);
  }

  async remove(): Promise<void> {
    const { jsm } = this.log.clients;
    await jsm.consumers.delete(this.log.stream, this.name).catch((error: Error) => {
      if (!isConsumerNotFound(error)) throw error;
    });
  }

  private async ensure(): Promise<Consumer> {
    const { jsm, js } = this.log.clients;
    const settings = {
      ack_wait: nanos(this.log.ackWaitMs),
      max_ack_pending: this.options.maxHeld,
      description: this.options.description,
    };
    try {
      const current = await jsm.consumers.info(this.log.stream, this.name);
      const { ack_wait, max_ack_pending, description } = current.config;
      if (ack_wait !== settings.ack_wait || max_ack_pending !== settings.max_ack_pending || description !== settings.description) {
        await jsm.consumers.update(this.log.stream, this.name, settings);
      }
    } catch (error) {
      if (!isConsumerNotFound(error)) throw error;
      // New: it starts with the events appended from now on, as a new memory-log target would,
      // or where the consumers it replaces left off.
      const start = await this.replacedStart();
      await jsm.consumers.add(this.log.stream, {
        durable_name: this.name,
        ack_policy: AckPolicy.Explicit,
        ...(start === undefined ? { deliver_policy: DeliverPolicy.New } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
        max_deliver: -1,
        ...settings,
      });
      if (start !== undefined)
        this.logger.info(
          { consumer: this.name, replaces: this.options.replaces, start },
          'shared log consumer takes over from the consumers it replaces',
        );
    }
    await this.removeReplaced();
    return js.consumers.get(this.log.stream, this.name);
  }

  /** The oldest position any replaced consumer had not settled, or undefined when none of them exists. */
  private async replacedStart(): Promise<number | undefined> {
    const { jsm } = this.log.clients;
    let start: number | undefined;
    for (const name of this.options.replaces ?? []) {
      if (name === this.name) continue;
      try {
        const info = await jsm.consumers.info(this.log.stream, name);
        const next = info.ack_floor.stream_seq + 1;
        start = start === undefined ? next : Math.min(start, next);
      } catch (error) {
        if (!isConsumerNotFound(error)) throw error;
      }
    }
    return start;
  }

  /** Replaced consumers go once this one exists (also ones an older replica made again during a rolling upgrade). */
  private async removeReplaced(): Promise<void> {
    const { jsm } = this.log.clients;
    for (const name of this.options.replaces ?? []) {
      if (name === this.name) continue;
      await jsm.consumers.delete(this.log.stream, name).catch((error: Error) => {
        if (!isConsumerNotFound(error)) throw error;
      });
    }
  }

  private take(message: JsMsg): void {
    const envelope = toEnvelope(message.data, message.seq, Math.floor(message.info.timestampNanos / 1e6), message.headers);
    if (!envelope) {
      this.logger.warn({ consumer: this.name, position: message.seq }, 'a message in the event stream is not an event; skipped');
      message.term('not an event');
      return;
    }
    this.handler(envelope, {
      backlog: message.info.pending,
      redeliveries: message.info.deliveryCount - 1,
      returnable: true,
      settle: () => message.ack(),
      hold: () => message.working(),
      giveBack: () => message.nak(),
    });
  }
}

/** JetStream's answers that mean "no room now" (429, retry later) rather than "cannot store" (503):
 * insufficient resources, storage or memory exceeded, and a store failure for the stream's limits. */
const STORE_FULL_CODES = new Set([10023, 10028, 10047]);
const STREAM_STORE_FAILED = 10077;

export function isStoreFull(code: number, description: string): boolean {
  return STORE_FULL_CODES.has(code) || (code === STREAM_STORE_FAILED && /maximum (bytes|messages)/i.test(description));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
