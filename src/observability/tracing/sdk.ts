// The OpenTelemetry SDK, set up from the standard OTEL_* variables: a tracer provider with the
// sampler they name (parent-based always-on by default), an OTLP/HTTP exporter behind a batching
// span processor (a bounded queue: spans beyond it are dropped, never buffered without end), and
// the resource (service.name defaults to the process's own; OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES win). Loaded only when tracing is on (load.ts). Not registered
// globally: the tracer is passed to what uses it, and contexts are passed explicitly.
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  /** service.name unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  serviceName: string;
  serviceVersion: string;
  /** More resource attributes (e.g. service.instance.id); the environment's win. */
  attributes?: Record<string, string>;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** Exports the spans still queued and stops; gives up after `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

export function startTracing(options: TracingOptions): Tracing {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion, ...options.attributes }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  const tracer = provider.getTracer('tas-mcp', options.serviceVersion);
  return {
    tracer,
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([provider.shutdown().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
  };
}
