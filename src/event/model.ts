// The one event model of TAS MCP. Field names are the wire names of mcp.v1.Event (seed 002), so
// an event moves between HTTP JSON, gRPC and the bus without being copied field by field.

export interface McpEvent {
  event_id: string;
  event_type: string;
  source: string;
  /** Unix time in milliseconds (see normalizeTimestamp for values sent in seconds). */
  timestamp: number;
  /** JSON text. */
  data: string;
  metadata: Record<string, string>;
}

/**
 * A copy of the event with other metadata. Named property by property: V8 (Node 20) tenures an
 * object literal that starts with a spread and goes on (`{ ...event, metadata }`), and this runs
 * per event (see eslint.config.js).
 */
export function withMetadata(event: McpEvent, metadata: Record<string, string>): McpEvent {
  return { event_id: event.event_id, event_type: event.event_type, source: event.source, timestamp: event.timestamp, data: event.data, metadata };
}

/** The event's metadata with `entries` set over it (a copy). */
export function metadataWith(event: McpEvent, entries: Record<string, string>): Record<string, string> {
  return Object.assign({}, event.metadata, entries);
}

/** The legacy seed-000 message: an id and JSON text. */
export interface LegacyMcpEvent {
  id: string;
  data: string;
}

export const EVENT_LIMITS = {
  idLength: 128,
  typeLength: 256,
  sourceLength: 256,
  metadataEntries: 64,
  metadataKeyLength: 128,
  metadataValueLength: 4096,
} as const;

/** event_type for legacy events whose data names no "type": the Go reference server's value. */
export const LEGACY_EVENT_TYPE = 'legacy.event';
/** source for legacy events whose data names no "source": the Go reference server's value. */
export const LEGACY_SOURCE = 'legacy-api';

/**
 * Timestamps below this are Unix time in seconds, not milliseconds: 10^11 ms is March 1973, while
 * 10^11 s is the year 5138, so a smaller value only makes sense as seconds (the Go reference
 * server stamps its HTTP events with time.Now().Unix()).
 */
export const SECONDS_BELOW = 1e11;

/** Unix time in milliseconds from a timestamp in milliseconds or (below SECONDS_BELOW) seconds. */
export function normalizeTimestamp(value: number): number {
  return value > 0 && value < SECONDS_BELOW ? value * 1000 : value;
}

/** Bytes an event occupies, counted the same way whichever way it arrived. */
export function eventSize(event: McpEvent): number {
  let size =
    Buffer.byteLength(event.event_id) + Buffer.byteLength(event.event_type) + Buffer.byteLength(event.source) + Buffer.byteLength(event.data) + 8;
  for (const key in event.metadata) {
    size += Buffer.byteLength(key) + Buffer.byteLength(event.metadata[key]!);
  }
  return size;
}

export function toLegacy(event: McpEvent): LegacyMcpEvent {
  return { id: event.event_id, data: event.data };
}
