// Where an McpServer's gateways listen inside the cluster.
import type { McpServer } from '../../src/api/index.js';
import { GATEWAY_DEFAULTS } from '../../src/config/defaults.js';
import { gatewayId, type ResolvedTarget } from '../render/gateway-config.js';
import { serviceHost } from '../render/names.js';

export interface ServerEndpoints {
  http: string;
  grpc: string;
  health: string;
}

export function serverEndpoints(server: McpServer, clusterDomain: string): ServerEndpoints {
  const host = serviceHost(server.metadata.name, server.metadata.namespace ?? 'default', clusterDomain);
  const ports = server.spec.ports ?? {};
  return {
    http: `http://${host}:${ports.http ?? GATEWAY_DEFAULTS.httpPort}`,
    grpc: `grpc://${host}:${ports.grpc ?? GATEWAY_DEFAULTS.grpcPort}`,
    health: `http://${host}:${ports.health ?? GATEWAY_DEFAULTS.healthPort}`,
  };
}

/** An McpServer as a forwarding target: its Service's HTTP address, under its gateway id. */
export function serverAsTarget(server: McpServer, clusterDomain: string): ResolvedTarget {
  return {
    url: serverEndpoints(server, clusterDomain).http,
    id: gatewayId(server.metadata.namespace ?? 'default', server.metadata.name),
    format: 'mcp',
  };
}
