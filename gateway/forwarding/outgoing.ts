// An event as it leaves this gateway, with its encodings (JSON for HTTP, protobuf for gRPC) made
// at most once however many targets (and retries) send it, and an estimate of its size for
// bounding batches.
import type { McpEvent } from '../../src/event/index.js';

/** Fixed cost of an event in a batch besides its strings: field names, quotes, the timestamp. */
const EVENT_OVERHEAD = 96;

export class Outgoing {
  private text: string | undefined;
  private utf8: Buffer | undefined;
  private size: number | undefined;
  private proto: Buffer | undefined;

  constructor(readonly event: McpEvent) {}

  /** The event as JSON, the body of a single-event request and an element of a batch. */
  get json(): string {
    return (this.text ??= JSON.stringify(this.event));
  }

  /** `json` as UTF-8 bytes: encoded once, copied into each target's batch body. */
  get jsonBytes(): Buffer {
    return (this.utf8 ??= Buffer.from(this.json));
  }

  /** The event as an mcp.v1.IngestEventRequest, encoded by `encode` the first time it is asked for. */
  protobuf(encode: (event: McpEvent) => Buffer): Buffer {
    return (this.proto ??= encode(this.event));
  }

  /**
   * Bytes it adds to a batch, estimated from its strings without encoding it: `data` counts twice
   * (JSON escapes its quotes), everything else once (UTF-16 units: exact for ASCII, an under-count
   * only for text far from it). Bounds JSON and protobuf batches alike.
   */
  get bytes(): number {
    if (this.size !== undefined) return this.size;
    const { event } = this;
    let size = EVENT_OVERHEAD + event.event_id.length + event.event_type.length + event.source.length + 2 * event.data.length;
    for (const key in event.metadata) size += key.length + event.metadata[key]!.length + 6;
    return (this.size = size);
  }
}
