// W3C trace context carried in an event's metadata (keys `traceparent` and `tracestate`, as the
// W3C headers and the CloudEvents distributed-tracing extension name them), so a trace follows
// the event through the log, to subscribers, and across forwarding hops. Plain strings here: no
// tracing library is loaded unless tracing is on (gateway/tracing).
import { EVENT_LIMITS, withMetadata, type McpEvent } from './model.js';

import { TRACEPARENT_KEY, TRACESTATE_KEY } from './metadata-keys.js';

/** Where a request's trace context may come from: HTTP headers (node's shape), or gRPC metadata read into one. */
export interface TraceCarrier {
  traceparent?: string | string[] | undefined;
  tracestate?: string | string[] | undefined;
}

/** A trace context as text: what is written to an event, a header or gRPC metadata. */
export interface TraceHeaders {
  traceparent: string;
  tracestate?: string | undefined;
}

/** The event's own trace context, when it carries one. */
export function eventTraceCarrier(event: McpEvent): TraceHeaders | undefined {
  const traceparent = event.metadata[TRACEPARENT_KEY];
  return traceparent === undefined ? undefined : { traceparent, tracestate: event.metadata[TRACESTATE_KEY] };
}

/**
 * The event carrying `headers` as its trace context (a copy; the previous context is replaced, a
 * tracestate it had dropped when the new one has none). Left as it is when the keys would push its
 * metadata past the entry limit a receiver enforces.
 */
export function withTraceHeaders(event: McpEvent, headers: TraceHeaders): McpEvent {
  const metadata: Record<string, string> = {};
  let entries = 0;
  for (const key in event.metadata) {
    if (key === TRACEPARENT_KEY || key === TRACESTATE_KEY) continue;
    metadata[key] = event.metadata[key]!;
    entries++;
  }
  entries += headers.tracestate ? 2 : 1;
  if (entries > EVENT_LIMITS.metadataEntries) return event;
  metadata[TRACEPARENT_KEY] = headers.traceparent;
  if (headers.tracestate) metadata[TRACESTATE_KEY] = headers.tracestate;
  return withMetadata(event, metadata);
}
