// An accepted event on its way through the gateway: the event, when and from where it arrived,
// and its encodings, computed at most once per format however many subscribers receive it.
import type { McpEvent } from '../../src/event/index.js';

/** Turns an event into the bytes of one wire format (mcp.v1.Event, legacy MCPEvent, ...). */
export interface EventEncoder {
  /** A small dense index, unique per encoder, used as the cache slot. */
  readonly slot: number;
  encode(event: McpEvent): Buffer;
}

let nextSlot = 0;
export function defineEncoder(encode: (event: McpEvent) => Buffer): EventEncoder {
  return { slot: nextSlot++, encode };
}

export class Envelope {
  private readonly encodings: (Buffer | undefined)[] = [];

  constructor(
    readonly event: McpEvent,
    /** Gateway clock (ms) at acceptance; history retention counts from here. */
    readonly receivedAt: number,
    /** Id of the stream that sent it, so that stream is not sent its own event back. */
    readonly origin: string | undefined,
    /** Process-wide sequence, strictly increasing in arrival order. */
    readonly seq: number,
  ) {}

  encoded(encoder: EventEncoder): Buffer {
    return (this.encodings[encoder.slot] ??= encoder.encode(this.event));
  }
}
