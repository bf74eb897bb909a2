// A gRPC call's W3C trace context (metadata keys traceparent and tracestate), read only when the
// gateway traces (reading metadata allocates).
import type * as grpc from '@grpc/grpc-js';
import { TRACEPARENT_KEY, TRACESTATE_KEY, type TraceCarrier } from '../../../src/event/index.js';
import type { IngestService } from '../../ingest/ingest-service.js';

export function grpcTraceCarrier(ingest: IngestService, metadata: grpc.Metadata): TraceCarrier | undefined {
  if (!ingest.traced) return undefined;
  const text = (values: grpc.MetadataValue[]) => (values.length === 0 ? undefined : values.map(String));
  return { traceparent: text(metadata.get(TRACEPARENT_KEY)), tracestate: text(metadata.get(TRACESTATE_KEY)) };
}
