// One live consumer of dispatched events: a bounded queue in front of a transport that may push
// back. A subscriber that falls further behind than its queue allows is cut off, so it can never
// slow the others or hold memory without bound.
import { BoundedQueue } from './bounded-queue.js';
import type { Envelope } from './envelope.js';

export type SubscriberKind = 'stream_events' | 'event_stream' | 'legacy_event_stream' | 'argo_generic';

export type StreamEnding =
  /** Everything asked for was sent (StreamEvents without follow). */
  | { kind: 'complete' }
  /** The subscriber fell behind by more than its queue. */
  | { kind: 'cut_off'; message: string }
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

export interface SubscriberOptions {
  id: string;
  kind: SubscriberKind;
  queueSize: number;
  transport: SubscriberTransport;
  accepts: (envelope: Envelope) => boolean;
  /** Events from history to send before any live event. */
  replay?: Envelope[];
  /** After the replay, end instead of waiting for live events. */
  follow?: boolean;
  /** Called once when the subscriber is finished, for whatever reason. */
  onFinished: (subscriber: Subscriber, ending: StreamEnding) => void;
}

export class Subscriber {
  readonly id: string;
  readonly kind: SubscriberKind;
  readonly accepts: (envelope: Envelope) => boolean;
  /** Events written to the transport. */
  delivered = 0;

  private readonly queue: BoundedQueue<Envelope>;
  private readonly transport: SubscriberTransport;
  private readonly follow: boolean;
  private readonly onFinished: SubscriberOptions['onFinished'];
  private replay: Envelope[];
  private replayIndex = 0;
  private waitingForDrain = false;
  private finished = false;

  constructor(options: SubscriberOptions) {
    this.id = options.id;
    this.kind = options.kind;
    this.accepts = options.accepts;
    this.queue = new BoundedQueue(options.queueSize);
    this.transport = options.transport;
    this.follow = options.follow ?? true;
    this.replay = options.replay ?? [];
    this.onFinished = options.onFinished;
    // A client that leaves frees its slot and queue at once, not at the next write.
    this.transport.onGone(() => this.finish({ kind: 'gone' }));
  }

  get queued(): number {
    return this.queue.length + (this.replay.length - this.replayIndex);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Starts sending the replay; for a non-following subscriber, ends once it is sent. */
  start(): void {
    this.pump();
  }

  /** Offers a live event. Never blocks; overflow cuts the subscriber off. */
  offer(envelope: Envelope): void {
    if (this.finished) return;
    const idle = !this.waitingForDrain && this.queue.length === 0 && this.replayIndex >= this.replay.length;
    if (idle) {
      this.writeOne(envelope);
      return;
    }
    if (!this.queue.push(envelope)) {
      this.finish({
        kind: 'cut_off',
        message:
          `subscriber fell behind: more than ${this.queue.capacity} events waiting to be sent; ` +
          'reconnect with start_timestamp to replay from history',
      });
    }
  }

  /** Ends the stream (shutdown, or the client left); idempotent. */
  finish(ending: StreamEnding): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.clear();
    this.releaseReplay();
    if (ending.kind !== 'gone' && !this.transport.gone) this.transport.end(ending);
    this.onFinished(this, ending);
  }

  private writeOne(envelope: Envelope): void {
    this.delivered++;
    if (!this.transport.write(envelope)) this.awaitDrain();
  }

  private pump(): void {
    while (!this.finished && !this.waitingForDrain) {
      let next: Envelope | undefined;
      if (this.replayIndex < this.replay.length) {
        next = this.replay[this.replayIndex++];
      } else {
        this.releaseReplay();
        next = this.queue.shift();
      }
      if (next === undefined) break;
      this.writeOne(next);
    }
    if (!this.finished && !this.follow && this.queued === 0 && !this.waitingForDrain) {
      this.finish({ kind: 'complete' });
    }
  }

  private releaseReplay(): void {
    if (this.replay.length === 0) return;
    this.replay = [];
    this.replayIndex = 0;
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
