// A span for each forward attempt of each sampled event (kind CLIENT, a child of the event's ingest
// span): its attempt number, the target, how the request went (mode, events in it) and the answer
// (status, outcome). The event leaves carrying the attempt span's context in its metadata (and, when
// it goes alone, in the request's traceparent header or gRPC metadata, see the senders), so the
// receiving gateway's ingest span is that attempt's child. A batch carries many events, each in its
// own trace: each gets its own attempt span; the request as a whole has none.
// Wraps a target's sender; unsampled events pass through untouched (a look at their traceparent).
import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { eventTraceCarrier, withTraceHeaders, type McpEvent } from '../../src/event/index.js';
import { contextFrom, flaggedSampled, isSampled, traceHeaders } from '../../src/observability/tracing/trace-context.js';
import { Outgoing } from '../forwarding/outgoing.js';
import type { AttemptAnswer } from '../forwarding/retry-policy.js';
import type { Sender } from '../forwarding/sender.js';
import type { Target } from '../forwarding/target.js';
import { ATTR, SPAN } from './attributes.js';

export interface ForwardSpanOptions {
  /** Re-signs an event whose trace context changed (federation signatures cover its metadata). */
  sign?: ((event: McpEvent) => McpEvent) | undefined;
}

export function forwardSpans(tracer: Tracer, sender: Sender, target: Target, options: ForwardSpanOptions = {}): Sender {
  const startAttempt = (outgoing: Outgoing, attempt: number | undefined, batchSize: number): { span: Span; outgoing: Outgoing } | undefined => {
    const carrier = eventTraceCarrier(outgoing.event);
    if (!flaggedSampled(carrier?.traceparent)) return undefined;
    const parent = contextFrom(carrier);
    if (!isSampled(trace.getSpanContext(parent))) return undefined;
    const span = tracer.startSpan(
      SPAN.forward,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.eventId]: outgoing.event.event_id,
          [ATTR.target]: target.id,
          [ATTR.targetUrl]: target.url,
          [ATTR.mode]: sender.mode,
          [ATTR.batchSize]: batchSize,
          ...(attempt !== undefined ? { [ATTR.attempt]: attempt } : {}),
        },
      },
      parent,
    );
    const traced = withTraceHeaders(outgoing.event, traceHeaders(span.spanContext()));
    return { span, outgoing: new Outgoing(options.sign ? options.sign(traced) : traced) };
  };

  return {
    get mode() {
      return sender.mode;
    },
    get maxEvents() {
      return sender.maxEvents;
    },
    async send(events, timeoutMs, attempts) {
      let spans: (Span | undefined)[] | undefined;
      let sent: Outgoing[] | undefined;
      events.forEach((outgoing, i) => {
        const started = startAttempt(outgoing, attempts?.[i], events.length);
        if (!started) return;
        spans ??= new Array<Span | undefined>(events.length);
        sent ??= [...events];
        spans[i] = started.span;
        sent[i] = started.outgoing;
      });
      if (!spans) return sender.send(events, timeoutMs, attempts);
      const answers = await sender.send(sent!, timeoutMs, attempts);
      spans.forEach((span, i) => span && endAttempt(span, answers[i]));
      return answers;
    },
    close() {
      sender.close();
    },
  };
}

/** Ends an attempt's span with its answer: taken (2xx, OK) or an error (whether it is retried shows as the next attempt). */
function endAttempt(span: Span, answer: AttemptAnswer | undefined): void {
  if (!answer) {
    span.setAttribute(ATTR.outcome, 'no_answer');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the sender gave no answer for this event' });
  } else {
    const ok = answer.protocol === 'http' ? answer.status >= 200 && answer.status < 300 : answer.protocol === 'grpc' && answer.status === 'OK';
    span.setAttribute(ATTR.status, String(answer.status));
    span.setAttribute(ATTR.outcome, ok ? 'ok' : 'error');
    if (!ok) span.setStatus({ code: SpanStatusCode.ERROR, message: answer.error ?? String(answer.status) });
  }
  span.end();
}
