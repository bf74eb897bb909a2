// A span for each sampled event's fan-out to this replica's live subscribers (a child of its ingest
// span), around the sink that does it. Unsampled events cost a check of their traceparent only.
import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { eventTraceCarrier } from '../../src/event/index.js';
import { contextFrom, flaggedSampled, isSampled } from '../../src/observability/tracing/trace-context.js';
import type { Envelope } from '../log/envelope.js';
import type { LogSink } from '../log/event-log.js';
import { ATTR, SPAN } from './attributes.js';

export function dispatchSpans(tracer: Tracer, sink: LogSink, subscribers: () => number): LogSink {
  return {
    dispatch(envelope: Envelope) {
      const carrier = eventTraceCarrier(envelope.event);
      const parent = flaggedSampled(carrier?.traceparent) ? contextFrom(carrier) : undefined;
      if (!parent || !isSampled(trace.getSpanContext(parent))) {
        sink.dispatch(envelope);
        return;
      }
      const span = tracer.startSpan(
        SPAN.dispatch,
        {
          kind: SpanKind.INTERNAL,
          attributes: { [ATTR.eventId]: envelope.event.event_id, [ATTR.logPosition]: envelope.position, [ATTR.subscribers]: subscribers() },
        },
        parent,
      );
      try {
        sink.dispatch(envelope);
      } finally {
        span.end();
      }
    },
    ...(sink.gap ? { gap: (from: number, to: number) => sink.gap!(from, to) } : {}),
  };
}
