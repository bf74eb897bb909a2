// A span per reconcile (kind INTERNAL, a trace of its own): which kind and object, and how it
// ended (success, requeue after a time, error, with the error's message). Loaded only when
// tracing is on (load.ts).
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Reconcile } from '../../src/kube/controller.js';

export const RECONCILE_SPAN = 'mcp.reconcile';

export function reconcileSpans(tracer: Tracer, kind: string, reconcile: Reconcile): Reconcile {
  return async (request, signal) => {
    const span = tracer.startSpan(RECONCILE_SPAN, {
      kind: SpanKind.INTERNAL,
      attributes: { 'k8s.object.kind': kind, 'k8s.namespace.name': request.namespace ?? '', 'k8s.object.name': request.name },
    });
    try {
      const result = await reconcile(request, signal);
      const requeueAfter = result?.requeueAfter;
      span.setAttribute('mcp.reconcile.outcome', requeueAfter === undefined ? 'success' : 'requeue_after');
      if (requeueAfter !== undefined) span.setAttribute('mcp.reconcile.requeue_after_ms', requeueAfter);
      return result;
    } catch (error) {
      span.setAttribute('mcp.reconcile.outcome', 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  };
}
