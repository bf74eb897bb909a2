// An event in the log: the event, its position, when and from where it arrived, and its wire
// encodings, computed at most once per format however many subscribers receive it.
import type { McpEvent } from '../../src/event/index.js';

/** Turns a logged event into the bytes of one wire format (mcp.v1.Event, legacy MCPEvent, ...). */
export interface EventEncoder {
  /** A small dense index, unique per encoder, used as the cache slot. */
  readonly slot: number;
  encode(envelope: Envelope): Buffer;
}

let nextSlot = 0;
export function defineEncoder(encode: (envelope: Envelope) => Buffer): EventEncoder {
  return { slot: nextSlot++, encode };
}

export class Envelope {
  private readonly encodings: (Buffer | undefined)[] = [];

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
    return (this.encodings[encoder.slot] ??= encoder.encode(this));
  }
}
