import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { RECONCILE_SPAN, reconcileSpans } from '../../../../operator/tracing/reconcile-spans.js';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('test');
const signal = new AbortController().signal;

describe('reconcile spans', () => {
  it('name the kind and object, and say how each reconcile ended', async () => {
    let run = 0;
    const reconcile = reconcileSpans(tracer, 'McpServer', async () => {
      run++;
      if (run === 2) return { requeueAfter: 30_000 };
      if (run === 3) throw new Error('conflict writing the Deployment');
      return undefined;
    });
    await expect(reconcile({ namespace: 'team-a', name: 'alpha' }, signal)).resolves.toBeUndefined();
    await expect(reconcile({ namespace: 'team-a', name: 'alpha' }, signal)).resolves.toEqual({ requeueAfter: 30_000 });
    await expect(reconcile({ namespace: 'team-b', name: 'beta' }, signal)).rejects.toThrow('conflict writing the Deployment');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual([RECONCILE_SPAN, RECONCILE_SPAN, RECONCILE_SPAN]);
    expect(spans.map((s) => s.attributes['mcp.reconcile.outcome'])).toEqual(['success', 'requeue_after', 'error']);
    expect(spans[0]!.attributes).toMatchObject({ 'k8s.object.kind': 'McpServer', 'k8s.namespace.name': 'team-a', 'k8s.object.name': 'alpha' });
    expect(spans[1]!.attributes['mcp.reconcile.requeue_after_ms']).toBe(30_000);
    expect(spans[2]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'conflict writing the Deployment' });
    expect(spans[2]!.attributes['k8s.object.name']).toBe('beta');
    // Each reconcile is a trace of its own.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(3);
  });
});
