// How a target is spoken to: one request carries one or many events, and the answer is judged
// per event (the retry rules classify each raw answer; see retry-policy.ts).
import type { Outgoing } from './outgoing.js';
import type { AttemptAnswer } from './retry-policy.js';

/** What a sender sends now, for the forwarding API and logs. A sender may fall back (batch to single). */
export type SendMode = 'batch' | 'single' | 'legacy' | 'cloudevents' | 'cloudevents-batch' | 'grpc-stream' | 'grpc-batch' | 'grpc-single';

export interface Sender {
  readonly mode: SendMode;
  /** Events one send() takes at most right now (1 when the target takes one per request). */
  readonly maxEvents: number;
  /**
   * Sends the events (more than maxEvents are split); one answer per event, in order. Never rejects.
   * `attempts` numbers each event's attempt (1 = its first), for traces.
   */
  send(events: readonly Outgoing[], timeoutMs: number, attempts?: readonly number[]): Promise<AttemptAnswer[]>;
  close(): void;
}

/** The same answer for every event of a request (no per-event answer: a connection error, a status for the whole request). */
export function answerAll(events: readonly unknown[], answer: AttemptAnswer): AttemptAnswer[] {
  return events.map(() => answer);
}
