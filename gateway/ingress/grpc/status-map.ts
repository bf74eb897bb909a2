// Ingest outcomes as gRPC statuses, one mapping for every gRPC ingress.
import * as grpc from '@grpc/grpc-js';
import type { IngestFailure } from '../../ingest/ingest-service.js';
import { FIELD_METADATA, REASON_METADATA, STATUS_METADATA } from '../../wire/names.js';

export interface GrpcFailure {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

export function outcomeToStatus(outcome: IngestFailure): GrpcFailure {
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_METADATA, outcome.status);
  metadata.set(REASON_METADATA, outcome.reason);
  if (outcome.status === 'rejected') {
    metadata.set(FIELD_METADATA, outcome.field);
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

/** An error nobody expected (a bug, not bad input): grpc-js ignores a handler's promise, so the
 * call must still be answered, with INTERNAL and what went wrong. */
export function unexpectedErrorStatus(error: unknown): GrpcFailure {
  return { code: grpc.status.INTERNAL, details: (error as Error).message };
}

/** A subscription refused at open: over MAX_CONNECTIONS, or the gateway is draining. */
export function subscriptionRefusalStatus(reason: 'max_connections' | 'draining', message: string): GrpcFailure {
  return { code: reason === 'draining' ? grpc.status.UNAVAILABLE : grpc.status.RESOURCE_EXHAUSTED, details: message };
}
