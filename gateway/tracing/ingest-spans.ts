// The ingest span of each event (kind SERVER): a child of the trace context the event carries in
// its metadata, or else of the request's (HTTP headers, gRPC metadata, the WebSocket upgrade), or a
// new trace. The event is stored carrying the span's own context, so subscribers see it and every
// span downstream (dispatch, forwarding, and the next gateway's ingest) is its child.
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { eventTraceCarrier, withTraceHeaders, type McpEvent, type TraceCarrier } from '../../src/event/index.js';
import { contextFrom, traceHeaders } from '../../src/observability/tracing/trace-context.js';
import { isFailure, type IngestMethod, type IngestOutcome, type IngestSpan, type IngestTracer } from '../ingest/ingest-service.js';
import { ATTR, SPAN } from './attributes.js';

export function ingestSpans(tracer: Tracer, gatewayId: string): IngestTracer {
  return {
    begin(event: McpEvent, method: IngestMethod, request: TraceCarrier | undefined): IngestSpan {
      const parent = contextFrom(eventTraceCarrier(event) ?? request);
      // Attributes only for spans that are recorded: most are not at a low sampling ratio.
      const span = tracer.startSpan(SPAN.ingest, { kind: SpanKind.SERVER }, parent);
      if (span.isRecording()) {
        span.setAttributes({
          [ATTR.eventId]: event.event_id,
          [ATTR.eventType]: event.event_type,
          [ATTR.eventSource]: event.source,
          [ATTR.ingestMethod]: method,
          [ATTR.gateway]: gatewayId,
        });
      }
      return {
        event: withTraceHeaders(event, traceHeaders(span.spanContext())),
        end(outcome: IngestOutcome) {
          if (span.isRecording()) {
            span.setAttribute(ATTR.ingestOutcome, outcome.status);
            if (isFailure(outcome)) {
              span.setAttribute(ATTR.ingestReason, outcome.reason);
              span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message });
            }
          }
          span.end();
        },
      };
    },
  };
}
