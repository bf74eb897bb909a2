// One consumer of the log: a cursor with a bounded queue in front of a transport that may push
// back. Live, it takes events from this replica's fan-out. When it falls further behind than its
// queue allows it is not cut off: it reads the log from the first event it missed, a page at a
// time at its own pace, and rejoins the live fan-out once it has caught up. It is cut off only
// when the log no longer holds its next event, and is then told which positions are gone.
import { BoundedQueue } from '../../src/limits/bounded-queue.js';
import type { Envelope } from '../log/envelope.js';
import type { LogReader, LogSource, ReadStart } from '../log/event-log.js';

export type SubscriberKind = 'stream_events' | 'event_stream' | 'legacy_event_stream' | 'argo_generic' | 'websocket';

export type StreamEnding =
  /** Everything asked for was sent (StreamEvents without follow). */
  | { kind: 'complete' }
  /** The log no longer holds the subscriber's next event: positions `lost` are gone for it. */
  | { kind: 'cut_off'; message: string; lost: { from: number; to: number } }
  /** The gateway is shutting down. */
  | { kind: 'shutdown'; message: string }
  /** The client went away; nothing can be sent. */
  | { kind: 'gone' };

/** What a subscriber writes to: a gRPC stream, in practice. */
export interface SubscriberTransport {
  /** Writes one event; false means the transport is full and the caller must wait for drain. */
  write(envelope: Envelope): boolean;
  /** Resolves when the transport drains or the client goes away, whichever comes first. */
  waitForDrain(): Promise<void>;
  /** True once the client has gone away (cancelled, reset, closed). */
  readonly gone: boolean;
  /** Registers the one listener told when the client goes away. */
  onGone(listener: () => void): void;
  end(ending: StreamEnding): void;
}

/** Where a subscriber starts: at the live end, or reading the log from a position or a time. */
export type SubscriberStart = { live: true } | ReadStart;

/** Told when a subscriber moves between the live fan-out and reading the log. */
export interface CursorObserver {
  fellBehind(subscriber: Subscriber): void;
  caughtUp(subscriber: Subscriber): void;
}

export interface SubscriberOptions {
  id: string;
  kind: SubscriberKind;
  queueSize: number;
  transport: SubscriberTransport;
  accepts: (envelope: Envelope) => boolean;
  log: LogSource;
  start: SubscriberStart;
  /** While reading from the start position only: skip events whose own timestamp is earlier
   * (StreamEvents' start_timestamp is about the events' timestamps, not log order). */
  minTimestamp?: number | undefined;
  /** After reading up to the end of the log, keep streaming live events (default true). */
  follow?: boolean;
  /** Entries read from the log per page (the most a reading subscriber holds besides its queue). */
  pageSize?: number;
  /** How long to wait before reading again when the live fan-out is behind the log's end. */
  idlePollMs?: number;
  observer?: CursorObserver | undefined;
  /** Called once when the subscriber is finished, for whatever reason. */
  onFinished: (subscriber: Subscriber, ending: StreamEnding) => void;
}

const DEFAULT_PAGE_SIZE = 256;
const DEFAULT_IDLE_POLL_MS = 20;

export class Subscriber {
  readonly id: string;
  readonly kind: SubscriberKind;
  /** Events written to the transport. */
  delivered = 0;
  /** Times it fell behind its queue and read the log instead. */
  fellBehindCount = 0;

  private readonly options: SubscriberOptions;
  private readonly queue: BoundedQueue<Envelope>;
  private readonly transport: SubscriberTransport;
  private follow: boolean;
  private mode: 'live' | 'reading' = 'live';
  private reader: LogReader | undefined;
  private page: Envelope[] = [];
  private pageIndex = 0;
  private fetching = false;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The position of the next event this subscriber has not yet taken (written, queued or skipped). */
  private nextPosition = 0;
  private minTimestamp: number | undefined;
  private waitingForDrain = false;
  private finished = false;

  constructor(options: SubscriberOptions) {
    this.options = options;
    this.id = options.id;
    this.kind = options.kind;
    this.queue = new BoundedQueue(options.queueSize);
    this.transport = options.transport;
    this.follow = options.follow ?? true;
    this.minTimestamp = options.minTimestamp;
    // A client that leaves frees its slot and queue at once, not at the next write.
    this.transport.onGone(() => this.finish({ kind: 'gone' }));
  }

  /** Events taken and not yet written: its queue and the unread part of a page. */
  get queued(): number {
    return this.queue.length + (this.page.length - this.pageIndex);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** True while it takes events from the live fan-out (false while it reads the log). */
  get isLive(): boolean {
    return this.mode === 'live';
  }

  /** Whether this subscriber is sent this event at all: not its own, and matching its filters. */
  wants(envelope: Envelope): boolean {
    return envelope.origin !== this.id && this.options.accepts(envelope);
  }

  start(): void {
    const { start } = this.options;
    if ('live' in start) {
      this.nextPosition = this.options.log.livePosition + 1;
      if (!this.follow) this.finish({ kind: 'complete' });
      return;
    }
    this.readFrom(start);
    this.pump();
  }

  /** Offers a live event from the fan-out. Never blocks; overflow switches to reading the log. */
  offer(envelope: Envelope): void {
    if (this.finished || this.mode !== 'live' || envelope.position < this.nextPosition) return;
    this.nextPosition = envelope.position + 1;
    const idle = !this.waitingForDrain && this.queue.length === 0;
    if (idle) {
      this.writeOne(envelope);
      return;
    }
    if (!this.queue.push(envelope)) {
      // What is queued is still written first; the log supplies the rest, from this event on.
      this.fellBehindCount++;
      this.readFrom({ after: envelope.position - 1 });
      this.options.observer?.fellBehind(this);
    }
  }

  /** Stops following: what is queued (and, while reading, the rest of the log) is still sent, then the stream ends OK. */
  endWhenSent(): void {
    if (this.finished || !this.follow) return;
    this.follow = false;
    if (this.mode === 'live' && this.queue.length === 0 && !this.waitingForDrain) this.finish({ kind: 'complete' });
  }

  /** The live fan-out skipped these positions (they left the log unread): this stream lost them. */
  missed(from: number, to: number): void {
    if (this.finished || to < this.nextPosition) return;
    this.cutOff({ from: Math.max(from, this.nextPosition), to });
  }

  /** Ends the stream (shutdown, or the client left); idempotent. */
  finish(ending: StreamEnding): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.clear();
    this.page = [];
    this.pageIndex = 0;
    this.stopReading();
    if (ending.kind !== 'gone' && !this.transport.gone) this.transport.end(ending);
    this.options.onFinished(this, ending);
  }

  private readFrom(start: ReadStart): void {
    this.mode = 'reading';
    this.reader?.close();
    this.reader = this.options.log.openReader(start);
    if ('after' in start) this.nextPosition = start.after + 1;
  }

  private stopReading(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.reader?.close();
    this.reader = undefined;
  }

  private writeOne(envelope: Envelope): void {
    this.delivered++;
    if (!this.transport.write(envelope)) this.awaitDrain();
  }

  private pump(): void {
    while (!this.finished && !this.waitingForDrain) {
      let next = this.queue.shift();
      if (next === undefined && this.mode === 'reading') {
        next = this.takeFromPage();
        if (next === undefined) {
          this.fetchPage();
          return;
        }
      }
      if (next === undefined) break;
      this.writeOne(next);
    }
    if (!this.finished && !this.follow && this.mode === 'live' && this.queue.length === 0 && !this.waitingForDrain) {
      this.finish({ kind: 'complete' });
    }
  }

  /** The next wanted entry of the current page, or undefined once the page is used up. */
  private takeFromPage(): Envelope | undefined {
    while (this.pageIndex < this.page.length) {
      const envelope = this.page[this.pageIndex++]!;
      this.nextPosition = envelope.position + 1;
      if (this.minTimestamp !== undefined && envelope.event.timestamp < this.minTimestamp) continue;
      if (this.wants(envelope)) return envelope;
    }
    this.page = [];
    this.pageIndex = 0;
    return undefined;
  }

  private fetchPage(): void {
    const reader = this.reader;
    if (this.fetching || this.pollTimer || !reader) return;
    this.fetching = true;
    reader.next(this.options.pageSize ?? DEFAULT_PAGE_SIZE).then(
      (result) => {
        this.fetching = false;
        if (this.finished || reader !== this.reader) return;
        if ('lost' in result) {
          this.cutOff(result.lost);
          return;
        }
        if (result.entries.length > 0) {
          this.page = result.entries;
          this.pageIndex = 0;
          this.pump();
          return;
        }
        this.nextPosition = Math.max(this.nextPosition, result.next);
        this.atEndOfLog();
      },
      () => {
        // The log could not be read just now (a reconnecting store): try again shortly.
        this.fetching = false;
        this.pollAgain();
      },
    );
  }

  /** Read everything the log holds: end (no follow), rejoin the live fan-out, or wait for it to catch up. */
  private atEndOfLog(): void {
    if (!this.follow) {
      this.finish({ kind: 'complete' });
      return;
    }
    // Every event the fan-out has given out lies before nextPosition: from here on it supplies
    // the rest, and anything it offers below nextPosition was already read.
    if (this.nextPosition > this.options.log.livePosition) {
      this.stopReading();
      this.mode = 'live';
      this.minTimestamp = undefined;
      this.options.observer?.caughtUp(this);
      return;
    }
    this.pollAgain();
  }

  private pollAgain(): void {
    if (this.finished || this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pump();
    }, this.options.idlePollMs ?? DEFAULT_IDLE_POLL_MS);
  }

  private cutOff(lost: { from: number; to: number }): void {
    const why =
      this.fellBehindCount > 0
        ? `subscriber fell behind (more than ${this.queue.capacity} events waiting) and the log no longer holds its next event`
        : 'the log no longer holds the requested position';
    this.finish({
      kind: 'cut_off',
      lost,
      message:
        `${why}: events at log positions ${lost.from} to ${lost.to} are gone for this stream (past the log's retention); ` +
        `reconnect with after_position ${lost.to} to continue from the oldest event held, or with start_timestamp to replay`,
    });
  }

  private awaitDrain(): void {
    this.waitingForDrain = true;
    void this.transport.waitForDrain().then(() => {
      this.waitingForDrain = false;
      if (this.transport.gone) this.finish({ kind: 'gone' });
      else this.pump();
    });
  }
}
