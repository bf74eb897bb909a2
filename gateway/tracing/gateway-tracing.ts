// The gateway's tracing, when the OTEL_* variables turn it on: the SDK (src/observability/tracing)
// and the hooks that use its tracer (ingest, dispatch, forwarding). Imported only then (load.ts).
import type { Tracing } from '../../src/observability/tracing/sdk.js';
import type { McpEvent } from '../../src/event/index.js';
import type { IngestTracer } from '../ingest/ingest-service.js';
import type { LogSink } from '../log/event-log.js';
import type { Sender } from '../forwarding/sender.js';
import type { Target } from '../forwarding/target.js';
import { dispatchSpans } from './dispatch-spans.js';
import { forwardSpans } from './forward-spans.js';
import { ingestSpans } from './ingest-spans.js';

export interface GatewayTracing {
  /** Where spans are exported (for the start-up log). */
  readonly endpoint: string;
  readonly ingest: IngestTracer;
  /** `sink` with a dispatch span around each sampled event. */
  dispatch(sink: LogSink, subscribers: () => number): LogSink;
  /** `sender` with a span per sampled event's attempt. */
  forwarding(sender: Sender, target: Target, sign?: (event: McpEvent) => McpEvent): Sender;
  /** Exports what is queued and stops (at shutdown, bounded). */
  shutdown(timeoutMs: number): Promise<void>;
}

export function createGatewayTracing(tracing: Tracing & { endpoint: string }, gatewayId: string): GatewayTracing {
  const { tracer } = tracing;
  return {
    endpoint: tracing.endpoint,
    ingest: ingestSpans(tracer, gatewayId),
    dispatch: (sink, subscribers) => dispatchSpans(tracer, sink, subscribers),
    forwarding: (sender, target, sign) => forwardSpans(tracer, sender, target, { sign }),
    shutdown: (timeoutMs) => tracing.shutdown(timeoutMs),
  };
}
