// Header (HTTP) and metadata (gRPC) names the gateway puts on the wire besides the events
// themselves, in one place for every side that writes or reads them. The trace context travels
// under the W3C names (traceparent, tracestate: src/event/metadata-keys.ts).

/** A forwarding gateway names the key id its events are signed with (`X-MCP-Signed: <key id>`). */
export const PEER_HEADER = 'x-mcp-signed';
/** On a refused gRPC call: the outcome (`refused`, `rejected`), its reason and the field at fault. */
export const STATUS_METADATA = 'x-mcp-status';
export const REASON_METADATA = 'x-mcp-reason';
export const FIELD_METADATA = 'x-mcp-field';
/** On an IngestEventBatch refused for its size: the most events a batch may carry. */
export const MAX_BATCH_METADATA = 'x-mcp-max-batch';
/** On a stream ended because the log no longer holds what it needed: the positions lost. */
export const LOST_FROM_METADATA = 'x-mcp-lost-from';
export const LOST_TO_METADATA = 'x-mcp-lost-to';
