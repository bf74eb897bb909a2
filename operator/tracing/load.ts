// The operator's tracing, or undefined when the OTEL_* variables leave it off (then none of the
// OpenTelemetry SDK is loaded and reconciles run unwrapped).
import type { Reconcile } from '../../src/kube/controller.js';
import { loadTracing } from '../../src/observability/tracing/load.js';

export interface OperatorTracing {
  readonly endpoint: string;
  /** `reconcile` with a span around each run. */
  traceReconcile(kind: string, reconcile: Reconcile): Reconcile;
  shutdown(timeoutMs: number): Promise<void>;
}

export async function loadOperatorTracing(env: NodeJS.ProcessEnv, version: string, instance: string): Promise<OperatorTracing | undefined> {
  const tracing = await loadTracing(env, {
    serviceName: 'tas-mcp-operator',
    serviceVersion: version,
    attributes: { 'service.instance.id': instance },
  });
  if (!tracing) return undefined;
  const { reconcileSpans } = await import('./reconcile-spans.js');
  return {
    endpoint: tracing.endpoint,
    traceReconcile: (kind, reconcile) => reconcileSpans(tracing.tracer, kind, reconcile),
    shutdown: (timeoutMs) => tracing.shutdown(timeoutMs),
  };
}
