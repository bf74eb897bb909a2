// mcp.v1.Event and mcp.v1.IngestEventRequest bytes, written field by field. They are the bytes
// proto-loader's serializers make (a unit test holds them equal), at about half the cost: those
// first turn the object into a message (fromObject, a Long for each int64), for every event
// streamed to a subscriber and every event forwarded to a gRPC peer.
import protobuf from 'protobufjs/minimal.js';
import type { McpEvent } from '../../src/event/index.js';

// Tags: field number << 3 | wire type (0 varint, 2 length-delimited).
const EVENT_ID = (1 << 3) | 2;
const EVENT_TYPE = (2 << 3) | 2;
const SOURCE = (3 << 3) | 2;
const TIMESTAMP = (4 << 3) | 0;
const DATA = (5 << 3) | 2;
const METADATA = (6 << 3) | 2;
const POSITION = (7 << 3) | 0;
const MAP_KEY = (1 << 3) | 2;
const MAP_VALUE = (2 << 3) | 2;

function writeEvent(event: McpEvent): protobuf.Writer {
  const writer = protobuf.Writer.create();
  writer
    .uint32(EVENT_ID)
    .string(event.event_id)
    .uint32(EVENT_TYPE)
    .string(event.event_type)
    .uint32(SOURCE)
    .string(event.source)
    .uint32(TIMESTAMP)
    .int64(event.timestamp)
    .uint32(DATA)
    .string(event.data);
  for (const key in event.metadata) {
    writer.uint32(METADATA).fork().uint32(MAP_KEY).string(key).uint32(MAP_VALUE).string(event.metadata[key]!).ldelim();
  }
  return writer;
}

/** protobufjs hands back a Buffer under Node; a plain Uint8Array is wrapped, not copied. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** mcp.v1.IngestEventRequest (fields 1-6 of the event). */
export function encodeIngestRequest(event: McpEvent): Buffer {
  return asBuffer(writeEvent(event).finish());
}

/** mcp.v1.Event, with the event's log position (field 7). */
export function encodeStreamedEvent(event: McpEvent, position: number): Buffer {
  return asBuffer(writeEvent(event).uint32(POSITION).uint64(position).finish());
}
