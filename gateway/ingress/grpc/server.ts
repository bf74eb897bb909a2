// The gateway's gRPC server: MCPService, the legacy Eventing stream, standard health checking
// (for grpcurl and Kubernetes gRPC probes) and server reflection.
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from '../../../src/observability/logger.js';
import { ARGO_GENERIC_SERVICE, LEGACY_EVENTING_SERVICE, MCP_SERVICE } from '../../wire/protos.js';
import { createReflectionService } from './reflection.js';

export interface GrpcServerOptions {
  host: string;
  port: number;
  maxEventSize: number;
  /** Bytes of one IngestEventBatch (MAX_BATCH_BYTES): messages up to the larger of the two are read. */
  maxBatchBytes: number;
  services: { mcp: grpc.UntypedServiceImplementation; legacy: grpc.UntypedServiceImplementation; argoGeneric: grpc.UntypedServiceImplementation };
  logger: Logger;
  /** Secure credentials (TLS, mutual TLS); insecure without. */
  credentials?: grpc.ServerCredentials | undefined;
}

export interface GrpcServer {
  /** Binds and starts; resolves to the bound port (useful when asked for port 0). */
  listen(): Promise<number>;
  setServing(serving: boolean): void;
  /** Graceful: waits for calls to finish up to `timeoutMs`, then forces. */
  close(timeoutMs: number): Promise<void>;
}

/** Names the health service answers for: the server as a whole, and each service. */
const SERVED = ['', 'mcp.v1.MCPService', 'mcp.Eventing', 'generic.Eventing'];

/** Headroom over MAX_EVENT_SIZE for the rest of the message, so the validator, not the transport,
 * answers a slightly-too-large event with a message that names the limit. */
const MESSAGE_OVERHEAD = 64 * 1024;

export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': Math.max(options.maxEventSize, options.maxBatchBytes) + MESSAGE_OVERHEAD,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  server.addService(MCP_SERVICE, options.services.mcp);
  server.addService(LEGACY_EVENTING_SERVICE, options.services.legacy);
  server.addService(ARGO_GENERIC_SERVICE, options.services.argoGeneric);
  const health = new HealthImplementation(Object.fromEntries(SERVED.map((service) => [service, 'NOT_SERVING' as const])));
  health.addToServer(server);
  createReflectionService().addToServer(server);

  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${options.host}:${options.port}`, options.credentials ?? grpc.ServerCredentials.createInsecure(), (error, port) => {
          if (error) reject(new Error(`gRPC server cannot listen on ${options.host}:${options.port}: ${error.message}`));
          else resolve(port);
        });
      });
    },
    setServing(serving) {
      const state = serving ? 'SERVING' : 'NOT_SERVING';
      for (const service of SERVED) health.setStatus(service, state);
    },
    close(timeoutMs) {
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          options.logger.warn({ timeoutMs }, 'gRPC calls still open after the grace period; forcing shutdown');
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
