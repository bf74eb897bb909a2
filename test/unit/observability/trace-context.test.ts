import { TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextFrom, flaggedSampled, isSampled, spanContextFrom, traceHeaders } from '../../../src/observability/tracing/trace-context.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const TP = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('W3C trace context helpers', () => {
  it('read a remote parent from traceparent and tracestate', () => {
    const spanContext = spanContextFrom({ traceparent: TP, tracestate: 'vendor=abc,other=1' })!;
    expect(spanContext).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(spanContext.traceState?.get('vendor')).toBe('abc');
    expect(isSampled(spanContext)).toBe(true);
  });

  it('take the first traceparent and every tracestate header of a repeated header', () => {
    const spanContext = spanContextFrom({ traceparent: [TP, `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`], tracestate: ['a=1', 'b=2'] })!;
    expect(spanContext.traceId).toBe(TRACE_ID);
    expect(spanContext.traceState?.serialize()).toBe('a=1,b=2');
  });

  it('ignore a malformed or absent traceparent (a new trace starts)', () => {
    for (const traceparent of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
    ]) {
      expect(trace.getSpanContext(contextFrom({ traceparent }))).toBeUndefined();
    }
  });

  it('tell sampled from unsampled, by the flags alone or parsed', () => {
    expect(flaggedSampled(TP)).toBe(true);
    expect(flaggedSampled(`00-${TRACE_ID}-${SPAN_ID}-00`)).toBe(false);
    expect(flaggedSampled(`00-${TRACE_ID}-${SPAN_ID}-03`)).toBe(true);
    expect(flaggedSampled(undefined)).toBe(false);
    expect(isSampled(spanContextFrom({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-00` }))).toBe(false);
    expect(isSampled(undefined)).toBe(false);
  });

  it('write a span context back as traceparent (version 00) and tracestate', () => {
    const spanContext = spanContextFrom({ traceparent: TP, tracestate: 'vendor=abc' })!;
    expect(traceHeaders(spanContext)).toEqual({ traceparent: TP, tracestate: 'vendor=abc' });
    expect(traceHeaders({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE })).toEqual({
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-00`,
    });
  });
});
