// W3C trace context in and out of text carriers (headers, gRPC metadata, event metadata), with
// OpenTelemetry's own propagator: a context to start a span under, and a span's context as text.
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceCarrier, TraceHeaders } from '../../event/trace-context.js';

const propagator = new W3CTraceContextPropagator();

const carrierGetter: TextMapGetter<TraceCarrier> = {
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
  keys: () => ['traceparent', 'tracestate'],
};

/** The remote parent a carrier names, or the root context when it names none (or a malformed one). */
export function contextFrom(carrier: TraceCarrier | undefined): Context {
  if (!carrier?.traceparent) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, carrier, carrierGetter);
}

/** The span context a carrier names, when it names a valid one. */
export function spanContextFrom(carrier: TraceCarrier | undefined): SpanContext | undefined {
  return carrier?.traceparent ? trace.getSpanContext(contextFrom(carrier)) : undefined;
}

/** True when a traceparent's flags say sampled: a cheap look at its last two characters, before parsing it. */
export function flaggedSampled(traceparent: string | undefined): boolean {
  if (traceparent === undefined || traceparent.length < 2) return false;
  return (parseInt(traceparent.slice(-2), 16) & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

/** True when the carrier names a sampled span (its downstream spans are recorded). */
export function isSampled(spanContext: SpanContext | undefined): boolean {
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

/** A span's context as W3C text: `traceparent` (version 00), and `tracestate` when it has one. */
export function traceHeaders(spanContext: SpanContext): TraceHeaders {
  const flags = `0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
  const tracestate = spanContext.traceState?.serialize();
  return { traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`, ...(tracestate ? { tracestate } : {}) };
}
