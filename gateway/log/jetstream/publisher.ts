// Publishes with JetStream's acknowledgement, pipelined: every message carries a reply subject in
// one wildcard inbox, and one subscription matches acknowledgements to waiting publishes, with one
// timer for all of them. Measured against the client's own js.publish (one request and one
// timer per message) on this project's machines: about 9 us of client CPU per acknowledged
// message instead of 44 us, and 3-5x the rate from one core.
// Publishes are handed to the client once per turn of the event loop (setImmediate), not one by
// one: the client writes to its socket once per microtask checkpoint, and each HTTP request is
// its own I/O callback, so one by one meant one socket write (and one read on the server) per event.
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';

export type PublishResult =
  | { kind: 'stored'; seq: number }
  | { kind: 'duplicate'; seq: number }
  /** The store refused it (its error code and description). */
  | { kind: 'error'; code: number; description: string }
  /** No acknowledgement in time, or the connection broke first: it may or may not be stored. */
  | { kind: 'unknown'; description: string };

interface Waiting {
  resolve: (result: PublishResult) => void;
  deadline: number;
}

interface Outgoing {
  token: string;
  subject: string;
  payload: Uint8Array;
  headers: MsgHdrs;
}

interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

const decoder = new TextDecoder();
/** How often timed-out publishes are looked for. */
const SWEEP_MS = 50;

export class AckedPublisher {
  private readonly inbox: string;
  private readonly prefixLength: number;
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  /** Publishes not yet handed to the client (at most one turn's worth; each is also in `waiting`). */
  private outgoing: Outgoing[] = [];
  private sendScheduled = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.inbox = createInbox();
    this.prefixLength = this.inbox.length + 1;
    this.subscription = nc.subscribe(`${this.inbox}.*`, {
      callback: (error, msg) => {
        if (error) return;
        const waiting = this.waiting.get(msg.subject.slice(this.prefixLength));
        if (!waiting) return; // timed out already
        this.waiting.delete(msg.subject.slice(this.prefixLength));
        waiting.resolve(parseAck(msg.data, msg.headers));
      },
    });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  /** Publishes awaiting their acknowledgement. */
  get pending(): number {
    return this.waiting.size;
  }

  publish(subject: string, payload: Uint8Array, headers: MsgHdrs): Promise<PublishResult> {
    const token = (++this.next).toString(36);
    return new Promise<PublishResult>((resolve) => {
      this.waiting.set(token, { resolve, deadline: performance.now() + this.timeoutMs });
      this.outgoing.push({ token, subject, payload, headers });
      if (!this.sendScheduled) {
        this.sendScheduled = true;
        setImmediate(this.sendOutgoing);
      }
    });
  }

  /** Answers every waiting publish as unknown (the connection broke: their acknowledgements may never come). */
  failAll(description: string): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    this.outgoing = [];
    for (const entry of waiting) entry.resolve({ kind: 'unknown', description });
  }

  /** Hands this turn's publishes to the client in order: it writes them to its socket together. */
  private readonly sendOutgoing = (): void => {
    this.sendScheduled = false;
    const batch = this.outgoing;
    this.outgoing = [];
    for (const { token, subject, payload, headers } of batch) {
      const waiting = this.waiting.get(token);
      if (!waiting) continue; // answered already (failAll)
      try {
        this.nc.publish(subject, payload, { reply: `${this.inbox}.${token}`, headers });
      } catch (error) {
        this.waiting.delete(token);
        waiting.resolve({ kind: 'unknown', description: (error as Error).message });
      }
    }
  };

  close(): void {
    clearInterval(this.sweeper);
    this.failAll('the gateway is stopping');
    this.subscription.unsubscribe();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, entry] of this.waiting) {
      // Entries are in publish order with equal timeouts: the first one not due ends the sweep.
      if (entry.deadline > now) break;
      this.waiting.delete(token);
      entry.resolve({ kind: 'unknown', description: `no acknowledgement from JetStream within ${this.timeoutMs} ms` });
    }
  }
}

export function parseAck(data: Uint8Array, headers: MsgHdrs | undefined): PublishResult {
  if (data.length === 0) {
    // A status message instead of an acknowledgement: 503 = no stream takes this subject.
    const code = headers?.code ?? 0;
    return code === 503
      ? { kind: 'error', code: 503, description: 'no JetStream stream takes this subject (was the stream deleted?)' }
      : { kind: 'unknown', description: `unexpected status ${code} ${headers?.description ?? ''}`.trim() };
  }
  let ack: PubAck;
  try {
    ack = JSON.parse(decoder.decode(data)) as PubAck;
  } catch {
    return { kind: 'unknown', description: 'unreadable acknowledgement' };
  }
  if (ack.error) return { kind: 'error', code: ack.error.err_code ?? ack.error.code ?? 0, description: ack.error.description ?? 'refused' };
  if (typeof ack.seq !== 'number') return { kind: 'unknown', description: 'acknowledgement without a sequence' };
  return ack.duplicate ? { kind: 'duplicate', seq: ack.seq } : { kind: 'stored', seq: ack.seq };
}
