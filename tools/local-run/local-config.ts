// The rendered gateway config, made to run on this machine: the operator's configuration as it
// is, except that the gateway listens on loopback ports of its own and reaches its peers (cluster
// Service names) at their local ports.
import { parse, stringify } from 'yaml';

export interface LocalPorts {
  http: number;
  grpc: number;
  health: number;
}

/** namespace/name -> the ports that server's local gateway listens on. */
export type PortBook = ReadonlyMap<string, LocalPorts>;

const SERVICE_HOST = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.[a-z0-9.-]+)?$/;

/** A target URL with a cluster Service host mapped to 127.0.0.1 and that server's local port. */
export function localUrl(url: string, ports: PortBook): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const match = SERVICE_HOST.exec(parsed.hostname);
  const local = match ? ports.get(`${match[2]}/${match[1]}`) : undefined;
  if (!local) return url;
  const port = parsed.protocol === 'grpc:' ? local.grpc : local.http;
  return `${parsed.protocol}//127.0.0.1:${port}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

interface TargetLike {
  url: string;
}

export function localGatewayConfig(renderedYaml: string, own: LocalPorts, ports: PortBook): string {
  const config = parse(renderedYaml) as {
    server?: Record<string, unknown>;
    forwarding?: { targets?: (TargetLike | string)[] };
    routes?: { targets?: TargetLike[] }[];
  };
  config.server = { ...config.server, host: '127.0.0.1', httpPort: own.http, grpcPort: own.grpc, healthPort: own.health };
  const rewrite = (target: TargetLike | string) =>
    typeof target === 'string' ? localUrl(target, ports) : { ...target, url: localUrl(target.url, ports) };
  if (config.forwarding?.targets) config.forwarding.targets = config.forwarding.targets.map(rewrite) as TargetLike[];
  for (const route of config.routes ?? []) route.targets = (route.targets ?? []).map(rewrite) as TargetLike[];
  return stringify(config, { lineWidth: 0 });
}
