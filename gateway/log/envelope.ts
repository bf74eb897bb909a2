// An event in the log: the event, its position, when and from where it arrived, and the forms
// derived from it (its wire encodings, forwarding's stamped event), each made at most once however
// many subscribers and targets receive it. The forms live on the envelope itself, not in WeakMaps
// keyed by it: V8 clears a WeakMap's entries only in a full (mark-compact) collection, so a
// WeakMap given thousands of short-lived envelopes a second kept them through every minor
// collection and made the gateway run a full one every few seconds.
import type { McpEvent } from '../../src/event/index.js';

/** One form derived from logged events, with a small dense index of its own as its cache slot. */
export interface DerivedForm<T> {
  readonly slot: number;
  /** Never set: carries the form's type. */
  readonly type?: T;
}

let nextSlot = 0;

/** A new form; define each once (at module load), since every envelope has room for all of them. */
export function defineForm<T>(): DerivedForm<T> {
  return { slot: nextSlot++ };
}

/** Turns a logged event into the bytes of one wire format (mcp.v1.Event, legacy MCPEvent, ...). */
export interface EventEncoder extends DerivedForm<Buffer> {
  encode(envelope: Envelope): Buffer;
}

export function defineEncoder(encode: (envelope: Envelope) => Buffer): EventEncoder {
  return Object.assign(defineForm<Buffer>(), { encode });
}

export class Envelope {
  private readonly forms: unknown[] = [];

  constructor(
    readonly event: McpEvent,
    /** Position in the log: strictly increasing in log order, the same on every replica. */
    readonly position: number,
    /** Log clock (ms) when the event was stored; retention counts from here. */
    readonly receivedAt: number,
    /** Id of the stream that sent it (unique across replicas), so that stream is not sent its own event back. */
    readonly origin: string | undefined,
  ) {}

  encoded(encoder: EventEncoder): Buffer {
    return this.derived(encoder, encoder.encode);
  }

  /** The form of this event `make` derives, made on the first call and kept for the next. */
  derived<T>(form: DerivedForm<T>, make: (envelope: Envelope) => T): T {
    return (this.forms[form.slot] ??= make(this)) as T;
  }
}
