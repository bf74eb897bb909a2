// The rendered gateway config, made to run on this machine: the operator's configuration as it
// is, except that the gateway listens on loopback ports of its own, reaches its peers (cluster
// Service names) at their local ports, and reaches NATS (a cluster Service name: config/nats, an
// Argo EventBus) at the local nats-server.
import { parse, stringify } from 'yaml';

export interface LocalPorts {
  http: number;
  grpc: number;
  health: number;
}

/** namespace/name -> the ports that server's local gateway listens on (its first replica's). */
export type PortBook = ReadonlyMap<string, LocalPorts>;

const SERVICE_HOST = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.[a-z0-9.-]+)?$/;

function serviceOf(url: string): { name: string; namespace: string; parsed: URL } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const match = SERVICE_HOST.exec(parsed.hostname);
  return match ? { name: match[1]!, namespace: match[2]!, parsed } : undefined;
}

/** A target URL with a cluster Service host mapped to 127.0.0.1 and that server's local port. */
export function localUrl(url: string, ports: PortBook): string {
  const service = serviceOf(url);
  const local = service ? ports.get(`${service.namespace}/${service.name}`) : undefined;
  if (!service || !local) return url;
  const { parsed } = service;
  const port = parsed.protocol === 'grpc:' ? local.grpc : local.http;
  return `${parsed.protocol}//127.0.0.1:${port}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** True when the config's log is JetStream on NATS servers inside the cluster (the local nats-server stands in for them). */
export function usesClusterNats(renderedYaml: string): boolean {
  const config = parse(renderedYaml) as RenderedConfig;
  return config.bus?.type === 'jetstream' && (config.bus.jetstream?.urls ?? []).some((url) => serviceOf(url) !== undefined);
}

interface TargetLike {
  url: string;
}

interface RenderedConfig {
  server?: Record<string, unknown>;
  forwarding?: { targets?: (TargetLike | string)[] };
  routes?: { targets?: TargetLike[] }[];
  bus?: { type?: string; jetstream?: { urls?: string[]; credentials?: unknown; tls?: unknown; stream?: Record<string, unknown> } };
}

export function localGatewayConfig(renderedYaml: string, own: LocalPorts, ports: PortBook, natsUrls: readonly string[] = []): string {
  const config = parse(renderedYaml) as RenderedConfig;
  config.server = { ...config.server, host: '127.0.0.1', httpPort: own.http, grpcPort: own.grpc, healthPort: own.health };
  const rewrite = (target: TargetLike | string) =>
    typeof target === 'string' ? localUrl(target, ports) : { ...target, url: localUrl(target.url, ports) };
  if (config.forwarding?.targets) config.forwarding.targets = config.forwarding.targets.map(rewrite) as TargetLike[];
  for (const route of config.routes ?? []) route.targets = (route.targets ?? []).map(rewrite) as TargetLike[];
  const jetstream = config.bus?.jetstream;
  if (jetstream?.urls && natsUrls.length > 0 && jetstream.urls.every((url) => serviceOf(url) !== undefined)) {
    // The local server is one node without credentials or TLS: one copy of each stream, no secrets to present.
    jetstream.urls = [...natsUrls];
    delete jetstream.credentials;
    delete jetstream.tls;
    if (jetstream.stream) jetstream.stream.replicas = 1;
  }
  return stringify(config, { lineWidth: 0 });
}
