// The gateway configuration an McpServer renders to: the same schema the gateway loads
// (src/config), so the operator can never write a file the gateway would refuse.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { McpServer } from '../../src/api/index.js';
import { GATEWAY_DEFAULTS } from '../../src/config/defaults.js';
import { parseConfig, type GatewayConfigInput } from '../../src/config/index.js';
import type { ResolvedBus } from '../resolve/bus.js';
import { busConfig } from './bus.js';
import { securityConfig } from './secrets.js';
import type { TargetTlsFiles } from './target-tls.js';

export interface RenderedGatewayConfig {
  /** The config as written into the ConfigMap. */
  input: GatewayConfigInput;
  yaml: string;
  /** Hash of the settings that only take effect on restart; on the pod template. */
  restartHash: string;
  /** Hash of the whole config, reported in status. */
  configHash: string;
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A resolved forwarding target: where to send, the id its gateway goes by, and how (format, batches, TLS). */
export interface ResolvedTarget {
  url: string;
  id: string;
  format: 'mcp' | 'cloudevents' | 'legacy';
  batch?: boolean;
  tls?: TargetTlsFiles;
}

/** An accepted McpRoute, its references resolved, as the gateway config takes it. */
export interface ResolvedRoute {
  name: string;
  match: { eventTypes: string[]; sources: string[]; metadata: Record<string, string> };
  targets: ResolvedTarget[];
  delivery: { timeout?: string; retry?: { maxAttempts?: number; initialBackoff?: string; maxBackoff?: string; retryOn?: (number | string)[] } };
}

export interface GatewayWiring {
  /** Resolved peers, in spec order. */
  peers: ResolvedTarget[];
  routes: ResolvedRoute[];
  /** resourceVersion of each referenced Secret: a change rolls the pods. */
  secretVersions?: Record<string, string>;
  /** The event log, resolved (an Argo EventBus read from the cluster). */
  bus: ResolvedBus;
}

/** The id a gateway of this McpServer goes by on forwarding paths; peers name it the same way. */
export function gatewayId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function renderGatewayConfig(server: McpServer, wiring: GatewayWiring): RenderedGatewayConfig {
  const spec = server.spec;
  const limits = spec.limits ?? {};
  const bus = busConfig(wiring.bus);
  const input: GatewayConfigInput = {
    logLevel: spec.logLevel ?? GATEWAY_DEFAULTS.logLevel,
    server: {
      host: '0.0.0.0',
      httpPort: spec.ports?.http ?? GATEWAY_DEFAULTS.httpPort,
      grpcPort: spec.ports?.grpc ?? GATEWAY_DEFAULTS.grpcPort,
      healthPort: spec.ports?.health ?? GATEWAY_DEFAULTS.healthPort,
    },
    limits: defined({
      maxEventSize: limits.maxEventSize,
      bufferSize: limits.bufferSize,
      admissionWait: limits.admissionWait,
      maxConnections: limits.maxConnections,
      maxBatchSize: limits.maxBatchSize,
      subscriberQueueSize: limits.subscriberQueueSize,
      rateLimit: limits.rateLimit ? defined({ eventsPerSecond: limits.rateLimit.eventsPerSecond, burst: limits.rateLimit.burst }) : undefined,
    }),
    history: defined({ size: spec.history?.size, retention: spec.history?.retention }),
    identity: { id: gatewayId(server.metadata.namespace ?? 'default', server.metadata.name) },
    forwarding: defined({
      targets: wiring.peers,
      timeout: spec.forwarding?.timeout,
      retry: spec.forwarding?.retry ? defined({ ...spec.forwarding.retry }) : undefined,
      deadLetter: spec.forwarding?.deadLetter?.url ? { url: spec.forwarding.deadLetter.url } : undefined,
    }),
    routes: wiring.routes,
    ...securityConfig(server),
    ...(bus ? { bus } : {}),
    shutdown: defined({ gracePeriod: spec.shutdown?.gracePeriod }),
    kubernetesEvents: {
      enabled: spec.kubernetesEvents?.enabled ?? true,
      ...defined({ qps: spec.kubernetesEvents?.qps, burst: spec.kubernetesEvents?.burst, detail: spec.kubernetesEvents?.detail }),
      regarding: {
        apiVersion: 'mcp.tas.ai/v1alpha1',
        kind: 'McpServer',
        name: server.metadata.name,
        namespace: server.metadata.namespace ?? 'default',
        ...(server.metadata.uid ? { uid: server.metadata.uid } : {}),
      },
    },
  };
  parseConfig(input); // throws a ConfigError naming the setting if the operator rendered nonsense
  const { forwarding, routes, ...restartRelevant } = input;
  const yaml = stringify(input, { lineWidth: 0 });
  return {
    input,
    yaml,
    // Peers and routes are reloaded by a running gateway; every other setting (the bus and its
    // stream included) needs a restart.
    restartHash: hash(JSON.stringify([restartRelevant, wiring.secretVersions ?? {}])),
    configHash: hash(yaml),
  };
}

export function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
