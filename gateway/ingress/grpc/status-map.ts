// Ingest outcomes as gRPC statuses, one mapping for every gRPC ingress.
import * as grpc from '@grpc/grpc-js';
import type { IngestFailure } from '../../ingest/ingest-service.js';

export interface GrpcFailure {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

export function outcomeToStatus(outcome: IngestFailure): GrpcFailure {
  const metadata = new grpc.Metadata();
  metadata.set('x-mcp-status', outcome.status);
  metadata.set('x-mcp-reason', outcome.reason);
  if (outcome.status === 'rejected') {
    metadata.set('x-mcp-field', outcome.field);
    return { code: grpc.status.INVALID_ARGUMENT, details: outcome.message, metadata };
  }
  if (outcome.status === 'denied') {
    const code = outcome.reason === 'tenant_mismatch' ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED;
    return { code, details: outcome.message, metadata };
  }
  metadata.set('retry-after', String(outcome.retryAfterSeconds));
  const code = outcome.reason === 'unavailable' ? grpc.status.UNAVAILABLE : grpc.status.RESOURCE_EXHAUSTED;
  return { code, details: outcome.message, metadata };
}

/** A subscription refused at open: over MAX_CONNECTIONS, or the gateway is draining. */
export function subscriptionRefusalStatus(reason: 'max_connections' | 'draining', message: string): GrpcFailure {
  return { code: reason === 'draining' ? grpc.status.UNAVAILABLE : grpc.status.RESOURCE_EXHAUSTED, details: message };
}
