// spec.peers resolved: serverRef to that McpServer's Service address (any namespace), url as
// given. What cannot be resolved yet is reported, not fatal: the server runs with the rest.
import type { McpServer } from '../../src/api/index.js';
import { defaultTargetId } from '../../src/config/index.js';
import type { ResolvedTarget } from '../render/gateway-config.js';
import { serverAsTarget, urlAsTarget } from './addresses.js';

export interface PeerStatus {
  name: string;
  address?: string;
  resolved: boolean;
}

export interface ResolvedPeers {
  targets: ResolvedTarget[];
  statuses: PeerStatus[];
  missing: string[];
  /** Secrets the peers' TLS settings use. */
  secrets: string[];
}

export type ServerLookup = (namespace: string, name: string) => McpServer | undefined;

/** namespace/name of every McpServer a server's peers name. */
export function referencedPeerKeys(server: McpServer): string[] {
  const namespace = server.metadata.namespace ?? 'default';
  return (server.spec.peers ?? []).flatMap((peer) => (peer.serverRef ? [`${peer.serverRef.namespace ?? namespace}/${peer.serverRef.name}`] : []));
}

export function resolvePeers(server: McpServer, lookup: ServerLookup, clusterDomain: string): ResolvedPeers {
  const namespace = server.metadata.namespace ?? 'default';
  const result: ResolvedPeers = { targets: [], statuses: [], missing: [], secrets: [] };
  for (const peer of server.spec.peers ?? []) {
    if (peer.url) {
      const { target, secrets } = urlAsTarget(peer.url, defaultTargetId(peer.url), 'mcp', undefined, peer.tls);
      result.targets.push(target);
      result.secrets.push(...secrets);
      result.statuses.push({ name: peer.url, address: peer.url, resolved: true });
      continue;
    }
    const ref = peer.serverRef!;
    const key = `${ref.namespace ?? namespace}/${ref.name}`;
    const found = lookup(ref.namespace ?? namespace, ref.name);
    if (!found || found.metadata.deletionTimestamp) {
      result.statuses.push({ name: key, resolved: false });
      result.missing.push(key);
      continue;
    }
    const { target, secrets } = serverAsTarget(found, clusterDomain, peer.tls);
    result.targets.push(target);
    result.secrets.push(...secrets);
    result.statuses.push({ name: key, address: target.url, resolved: true });
  }
  return result;
}
