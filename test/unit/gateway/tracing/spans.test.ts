// The gateway's span hooks with the real OpenTelemetry SDK, spans kept in its in-memory exporter.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { eventTraceCarrier, type McpEvent } from '../../../../src/event/index.js';
import { spanContextFrom } from '../../../../src/observability/tracing/trace-context.js';
import { Outgoing } from '../../../../gateway/forwarding/outgoing.js';
import type { AttemptAnswer } from '../../../../gateway/forwarding/retry-policy.js';
import type { Sender } from '../../../../gateway/forwarding/sender.js';
import { IngestService, type IngestObserver } from '../../../../gateway/ingest/ingest-service.js';
import type { Envelope } from '../../../../gateway/log/envelope.js';
import { MemoryLog } from '../../../../gateway/log/memory-log.js';
import { ATTR, SPAN } from '../../../../gateway/tracing/attributes.js';
import { dispatchSpans } from '../../../../gateway/tracing/dispatch-spans.js';
import { forwardSpans } from '../../../../gateway/tracing/forward-spans.js';
import { ingestSpans } from '../../../../gateway/tracing/ingest-spans.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer('test');
afterEach(() => exporter.reset());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const sampled = (spanId: string) => `00-${TRACE_ID}-${spanId}-01`;
const event = (id: string, metadata: Record<string, string> = {}) => ({
  event_id: id,
  event_type: 'doc.created',
  source: 'test',
  timestamp: Date.now(),
  data: '{}',
  metadata,
});
const noop: IngestObserver = { accepted() {}, failed() {}, duplicate() {}, signatureChecked() {}, rateLimitChecked() {} };

function service() {
  const log = new MemoryLog({ bufferSize: 10, history: { size: 100, retentionMs: 60_000 }, dedupe: { size: 100, ttlMs: 60_000 } });
  const ingest = new IngestService({
    log,
    observer: noop,
    maxEventSize: 10_000,
    rateLimit: { eventsPerSecond: 0 },
    tracer: ingestSpans(tracer, 'gw-a'),
  });
  const kept: McpEvent[] = [];
  log.addSink({ dispatch: (envelope) => kept.push(envelope.event) });
  // Fan-out runs on the next turn of the event loop.
  const stored = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return kept;
  };
  return { ingest, stored };
}

describe('ingest spans', () => {
  it("are children of the request's context, and the stored event carries the span's own", async () => {
    const { ingest, stored } = service();
    const outcome = await ingest.ingest(event('e1'), 'http', { trace: { traceparent: sampled('00f067aa0ba902b7'), tracestate: 'v=1' } });
    expect(outcome.status).toBe('accepted');
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe(SPAN.ingest);
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span!.attributes).toMatchObject({
      [ATTR.eventId]: 'e1',
      [ATTR.ingestMethod]: 'http',
      [ATTR.ingestOutcome]: 'accepted',
      [ATTR.gateway]: 'gw-a',
    });
    const [kept] = await stored();
    expect(kept!.metadata.traceparent).toBe(sampled(span!.spanContext().spanId));
    expect(kept!.metadata.tracestate).toBe('v=1');
  });

  it("prefer the event's own context to the request's, and start a trace when there is neither", async () => {
    const { ingest } = service();
    await ingest.ingestBatch([event('own', { traceparent: sampled('1111111111111111') }), event('none')], 'grpc', {
      trace: { traceparent: sampled('2222222222222222') },
    });
    await ingest.ingest(event('root'), 'websocket');
    const spans = exporter.getFinishedSpans();
    const byId = (id: string) => spans.find((s) => s.attributes[ATTR.eventId] === id)!;
    expect(byId('own').parentSpanContext?.spanId).toBe('1111111111111111');
    expect(byId('none').parentSpanContext?.spanId).toBe('2222222222222222');
    expect(byId('root').parentSpanContext).toBeUndefined();
    expect(byId('root').spanContext().traceId).not.toBe(TRACE_ID);
  });

  it('record a duplicate and a refusal as their outcome', async () => {
    const { ingest } = service();
    await ingest.ingest(event('d'), 'http');
    await ingest.ingest(event('d'), 'http');
    const outcomes = exporter.getFinishedSpans().map((s) => s.attributes[ATTR.ingestOutcome]);
    expect(outcomes).toEqual(['accepted', 'duplicate']);
  });
});

describe('dispatch spans', () => {
  it('wrap the sink for sampled events only', () => {
    const seen: string[] = [];
    const sink = dispatchSpans(tracer, { dispatch: (e: Envelope) => seen.push(e.event.event_id) }, () => 3);
    const envelope = (e: McpEvent) => ({ event: e, position: 7 }) as unknown as Envelope;
    sink.dispatch(envelope(event('s', { traceparent: sampled('3333333333333333') })));
    sink.dispatch(envelope(event('u', { traceparent: `00-${TRACE_ID}-3333333333333333-00` })));
    sink.dispatch(envelope(event('n')));
    expect(seen).toEqual(['s', 'u', 'n']);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.name).toBe(SPAN.dispatch);
    expect(spans[0]!.parentSpanContext?.spanId).toBe('3333333333333333');
    expect(spans[0]!.attributes).toMatchObject({ [ATTR.eventId]: 's', [ATTR.logPosition]: 7, [ATTR.subscribers]: 3 });
  });
});

describe('forward attempt spans', () => {
  /** A sender that records what it was given and answers as told (a stand-in for the network). */
  function recordingSender(answer: (o: Outgoing) => AttemptAnswer) {
    const sent: Outgoing[][] = [];
    const sender: Sender = {
      mode: 'batch',
      maxEvents: 100,
      send: async (events) => {
        sent.push([...events]);
        return events.map(answer);
      },
      close() {},
    };
    return { sender, sent };
  }
  const target = { id: 'gw-b', url: 'http://b:8080', format: 'mcp', batch: true } as Parameters<typeof forwardSpans>[2];

  it('give each sampled event of a batch its own attempt span, and send it carrying that span', async () => {
    const { sender, sent } = recordingSender(() => ({ protocol: 'http', status: 200 }));
    const traced = forwardSpans(tracer, sender, target, {
      sign: (e) => ({ ...e, metadata: { ...e.metadata, mcpsig: `signed:${e.metadata.traceparent}` } }),
    });
    const a = new Outgoing(event('a', { traceparent: sampled('aaaaaaaaaaaaaaaa') }));
    const b = new Outgoing(event('b', { traceparent: `00-${TRACE_ID}-bbbbbbbbbbbbbbbb-00` }));
    const c = new Outgoing(event('c'));
    const answers = await traced.send([a, b, c], 1000, [2, 1, 1]);
    expect(answers).toHaveLength(3);
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span!.name).toBe(SPAN.forward);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.parentSpanContext?.spanId).toBe('aaaaaaaaaaaaaaaa');
    expect(span!.attributes).toMatchObject({
      [ATTR.eventId]: 'a',
      [ATTR.target]: 'gw-b',
      [ATTR.attempt]: 2,
      [ATTR.batchSize]: 3,
      [ATTR.status]: '200',
      [ATTR.outcome]: 'ok',
    });
    const [sentA, sentB, sentC] = sent[0]!;
    expect(spanContextFrom(eventTraceCarrier(sentA!.event))!.spanId).toBe(span!.spanContext().spanId);
    expect(sentA!.event.metadata.mcpsig).toBe(`signed:${sentA!.event.metadata.traceparent}`);
    // Unsampled and untraced events go as they were.
    expect(sentB).toBe(b);
    expect(sentC).toBe(c);
  });

  it('make each retry its own span, and mark a failed attempt as an error', async () => {
    let calls = 0;
    const { sender } = recordingSender(() =>
      ++calls === 1
        ? { protocol: 'none', status: 'ECONNREFUSED', error: 'connect ECONNREFUSED' }
        : { protocol: 'http', status: 204, error: 'HTTP 204' },
    );
    const traced = forwardSpans(tracer, sender, target);
    const a = new Outgoing(event('a', { traceparent: sampled('aaaaaaaaaaaaaaaa') }));
    await traced.send([a], 1000, [1]);
    await traced.send([a], 1000, [2]);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.attributes[ATTR.attempt])).toEqual([1, 2]);
    expect(spans[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connect ECONNREFUSED' });
    expect(spans[0]!.attributes[ATTR.outcome]).toBe('error');
    expect(spans[1]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(new Set(spans.map((s) => s.spanContext().spanId)).size).toBe(2);
  });
});
