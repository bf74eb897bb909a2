// An event as it leaves this gateway, with its JSON encoding made at most once however many
// targets (and retries) send it, and its size in bytes for bounding batches.
import type { McpEvent } from '../../src/event/index.js';

export class Outgoing {
  private text: string | undefined;
  private size: number | undefined;

  constructor(readonly event: McpEvent) {}

  /** The event as JSON, the body of a single-event request and an element of a batch. */
  get json(): string {
    return (this.text ??= JSON.stringify(this.event));
  }

  /** Bytes of `json`: what it adds to a batch (protobuf encodings are smaller, so it bounds those too). */
  get bytes(): number {
    return (this.size ??= Buffer.byteLength(this.json));
  }
}
