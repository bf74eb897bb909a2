// Delivery to a grpc:// peer over one long-lived channel: mcp.v1.MCPService/IngestEvent.
import * as grpc from '@grpc/grpc-js';
import { KEY_ID_KEY, type McpEvent } from '../../src/event/index.js';
import { PEER_HEADER } from '../auth/caller.js';
import { packageDefinition } from '../ingress/grpc/protos.js';
import type { Sender, SendResult } from './sender.js';

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  mcp: { v1: { MCPService: grpc.ServiceClientConstructor } };
};

/** Statuses after which the same event may succeed later. */
const RETRYABLE = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
  grpc.status.NOT_FOUND,
]);

type IngestEvent = (
  request: McpEvent,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null) => void,
) => grpc.ClientUnaryCall;

export function createGrpcSender(url: string): Sender {
  const address = new URL(url).host;
  const client = new loaded.mcp.v1.MCPService(address, grpc.credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.use_local_subchannel_pool': 1,
  }) as unknown as grpc.Client & { IngestEvent: IngestEvent };

  return {
    send(event: McpEvent, timeoutMs: number) {
      return new Promise<SendResult>((resolve) => {
        const metadata = new grpc.Metadata();
        const keyId = event.metadata[KEY_ID_KEY];
        // A signed event is its own credential at a peer that requires them (see auth/caller.ts).
        if (keyId) metadata.set(PEER_HEADER, keyId);
        client.IngestEvent(event, metadata, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null) => {
          if (!error || error.code === grpc.status.ALREADY_EXISTS) {
            resolve({ outcome: 'delivered', status: 'OK' });
            return;
          }
          const status = grpc.status[error.code] ?? String(error.code);
          const message = `gRPC ${status}: ${error.details}`;
          if (!RETRYABLE.has(error.code)) {
            resolve({ outcome: 'failed', status, error: message });
            return;
          }
          const retryAfter = Number(error.metadata?.get('retry-after')[0]);
          resolve({ outcome: 'retry', status, error: message, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) });
        });
      });
    },
    close() {
      client.close();
    },
  };
}
