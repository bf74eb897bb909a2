// Delivery to a grpc:// peer over one long-lived channel: mcp.v1.MCPService/IngestEvent.
import * as grpc from '@grpc/grpc-js';
import { KEY_ID_KEY, type McpEvent } from '../../src/event/index.js';
import { PEER_HEADER } from '../auth/caller.js';
import type { RetryOnEntry } from '../../src/config/retry-on.js';
import { packageDefinition } from '../ingress/grpc/protos.js';
import { classifyAttempt, compileRetryOn } from './retry-policy.js';
import type { Sender, SendResult } from './sender.js';

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  mcp: { v1: { MCPService: grpc.ServiceClientConstructor } };
};

type IngestEvent = (
  request: McpEvent,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null) => void,
) => grpc.ClientUnaryCall;

/** `retryOn`: the statuses worth another attempt; unset = the defaults. */
export function createGrpcSender(url: string, retryOn?: readonly RetryOnEntry[]): Sender {
  const address = new URL(url).host;
  const rules = compileRetryOn(retryOn);
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
          if (!error) {
            resolve(classifyAttempt({ protocol: 'grpc', status: 'OK' }, rules));
            return;
          }
          const status = grpc.status[error.code] ?? String(error.code);
          const retryAfter = Number(error.metadata?.get('retry-after')[0]);
          resolve(
            classifyAttempt(
              { protocol: 'grpc', status, error: `gRPC ${status}: ${error.details}`, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined },
              rules,
            ),
          );
        });
      });
    },
    close() {
      client.close();
    },
  };
}
