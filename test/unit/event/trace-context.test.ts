import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  eventTraceCarrier,
  toBinaryCloudEvent,
  structuredCloudEventJson,
  withTraceHeaders,
  type McpEvent,
} from '../../../src/event/index.js';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const event: McpEvent = { event_id: 'e1', event_type: 't', source: 's', timestamp: 1, data: '{}', metadata: { tenant_id: 'a' } };

describe('trace context in event metadata', () => {
  it('is read from traceparent and tracestate', () => {
    expect(eventTraceCarrier(event)).toBeUndefined();
    expect(eventTraceCarrier({ ...event, metadata: { traceparent: TP, tracestate: 'k=v' } })).toEqual({ traceparent: TP, tracestate: 'k=v' });
  });

  it('is written as a copy, replacing the previous context and dropping a stale tracestate', () => {
    const before = { ...event, metadata: { ...event.metadata, traceparent: 'old', tracestate: 'old=1' } };
    const after = withTraceHeaders(before, { traceparent: TP });
    expect(after.metadata).toEqual({ tenant_id: 'a', traceparent: TP });
    expect(before.metadata.traceparent).toBe('old');
    expect(withTraceHeaders(event, { traceparent: TP, tracestate: 'k=v' }).metadata).toEqual({ tenant_id: 'a', traceparent: TP, tracestate: 'k=v' });
  });

  it('is not added when the metadata would exceed the entry limit a receiver enforces', () => {
    const full = { ...event, metadata: Object.fromEntries(Array.from({ length: EVENT_LIMITS.metadataEntries }, (_, i) => [`k${i}`, 'v'])) };
    expect(withTraceHeaders(full, { traceparent: TP })).toBe(full);
    const oneLess = { ...event, metadata: Object.fromEntries(Array.from({ length: EVENT_LIMITS.metadataEntries - 1 }, (_, i) => [`k${i}`, 'v'])) };
    expect(withTraceHeaders(oneLess, { traceparent: TP }).metadata.traceparent).toBe(TP);
    expect(withTraceHeaders(oneLess, { traceparent: TP, tracestate: 'k=v' })).toBe(oneLess);
  });

  it('becomes the CloudEvents distributed-tracing extension (binary and batched modes)', () => {
    const traced = withTraceHeaders(event, { traceparent: TP, tracestate: 'k=v' });
    const { headers } = toBinaryCloudEvent(traced);
    expect(headers['ce-traceparent']).toBe(TP);
    expect(headers['ce-tracestate']).toBe('k=v');
    const structured = JSON.parse(structuredCloudEventJson(traced)) as Record<string, unknown>;
    expect(structured.traceparent).toBe(TP);
    expect(structured.tracestate).toBe('k=v');
  });
});
