// Where an McpServer's gateways listen inside the cluster, and how another gateway reaches them.
import type { McpServer } from '../../src/api/index.js';
import type { TargetTls } from '../../src/api/common.js';
import { GATEWAY_DEFAULTS } from '../../src/config/defaults.js';
import { gatewayId, type ResolvedTarget } from '../render/gateway-config.js';
import { serviceHost } from '../render/names.js';
import { targetTlsFiles } from '../render/target-tls.js';

export interface ServerEndpoints {
  http: string;
  grpc: string;
  health: string;
}

export function serverEndpoints(server: McpServer, clusterDomain: string): ServerEndpoints {
  const host = serviceHost(server.metadata.name, server.metadata.namespace ?? 'default', clusterDomain);
  const ports = server.spec.ports ?? {};
  const tls = server.spec.security?.tls !== undefined;
  return {
    http: `${tls ? 'https' : 'http'}://${host}:${ports.http ?? GATEWAY_DEFAULTS.httpPort}`,
    grpc: `${tls ? 'grpcs' : 'grpc'}://${host}:${ports.grpc ?? GATEWAY_DEFAULTS.grpcPort}`,
    health: `http://${host}:${ports.health ?? GATEWAY_DEFAULTS.healthPort}`,
  };
}

/**
 * An McpServer as a forwarding target: its Service's HTTP address under its gateway id, over
 * https:// when it serves TLS (spec.security.tls), with the referrer's TLS settings (the CA to
 * trust: tls.caSecret, or the system's trusted roots).
 */
export function serverAsTarget(server: McpServer, clusterDomain: string, spec?: TargetTls): { target: ResolvedTarget; secrets: string[] } {
  const { tls, secrets } = targetTlsFiles(spec);
  return {
    target: {
      url: serverEndpoints(server, clusterDomain).http,
      id: gatewayId(server.metadata.namespace ?? 'default', server.metadata.name),
      format: 'mcp',
      ...(tls && Object.keys(tls).length > 0 ? { tls } : {}),
    },
    secrets,
  };
}

/** A target given by URL, with its TLS settings. */
export function urlAsTarget(
  url: string,
  id: string,
  format: ResolvedTarget['format'],
  batch: boolean | undefined,
  spec: TargetTls | undefined,
): { target: ResolvedTarget; secrets: string[] } {
  const { tls, secrets } = targetTlsFiles(spec);
  return { target: { url, id, format, ...(batch !== undefined ? { batch } : {}), ...(tls && Object.keys(tls).length > 0 ? { tls } : {}) }, secrets };
}
