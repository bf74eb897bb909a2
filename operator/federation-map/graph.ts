// The federation as a graph, from what the operator already wrote and what the gateways count:
// every McpServer a node; its peers (status.peers) and the targets of the routes attached to it
// (McpRoute status.servers, ResolvedRefs) edges, one per source and target, listing each way
// events take along it. The gateways count per target, not per route, so one edge carries the
// figures of everything sent from its source to its target.
import type { Condition, McpRoute, McpServer } from '../../src/api/index.js';
import { defaultTargetId } from '../../src/config/index.js';
import type { EdgeFigures, NodeFigures } from './figures.js';
import type { ServerScrape } from './scraper.js';

export type NodeKind = 'server' | 'missing' | 'url';

export interface MapNode {
  /** namespace/name for McpServers (and for missing ones), url:<url> for URL targets. */
  id: string;
  kind: NodeKind;
  namespace?: string;
  name?: string;
  /** The Ready condition's status and reason. */
  ready?: Condition['status'];
  readyReason?: string;
  replicas?: { ready: number; total: number };
  /** spec.bus.type, memory when unset. */
  bus?: string;
  conditions?: Condition[];
  /** The operator has not yet reported on this generation of the spec. */
  pending?: boolean;
  scrape?: Omit<ServerScrape, 'node' | 'targets'>;
  figures?: NodeFigures;
}

export interface MapLink {
  kind: 'peer' | 'route';
  /** namespace/name of the route. */
  route?: string;
  resolved: boolean;
  /** Why it is not resolved. */
  reason?: string;
}

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  /** The id the source gateway knows the target by (its metrics label). */
  targetId: string;
  /** Every link resolved. */
  resolved: boolean;
  links: MapLink[];
  figures?: EdgeFigures;
}

export interface FederationGraph {
  /** When this view was made (ms since the epoch). */
  at: number;
  nodes: MapNode[];
  edges: MapEdge[];
}

export interface GraphInputs {
  servers: McpServer[];
  routes: McpRoute[];
  scrape: (key: string) => ServerScrape | undefined;
  now: number;
}

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? 'default'}/${name}`;
const isUrl = (text: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(text);

/** spec.bus.type, read defensively: older API versions have no spec.bus. */
function busOf(server: McpServer): string {
  const bus = (server.spec as { bus?: { type?: unknown } }).bus;
  return typeof bus?.type === 'string' ? bus.type : 'memory';
}

function serverNode(server: McpServer, scrape: ServerScrape | undefined): MapNode {
  const conditions = server.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const node: MapNode = {
    id: keyOf(server.metadata.namespace, server.metadata.name),
    kind: 'server',
    namespace: server.metadata.namespace ?? 'default',
    name: server.metadata.name,
    ready: ready?.status ?? 'Unknown',
    ...(ready ? { readyReason: ready.reason } : {}),
    replicas: { ready: server.status?.readyReplicas ?? 0, total: server.status?.replicas ?? 0 },
    bus: busOf(server),
    conditions,
    pending: (server.status?.observedGeneration ?? -1) < (server.metadata.generation ?? 0),
  };
  if (scrape) {
    const { node: figures, targets: _targets, ...state } = scrape;
    node.scrape = state;
    if (figures) node.figures = figures;
  }
  return node;
}

/** Why one reference is unresolved: the operator's condition speaks for all of them, so name this one. */
function notFound(reference: string, condition: Condition | undefined): string {
  return `McpServer ${reference} not found${condition?.status === 'False' ? ` (${condition.type}: ${condition.reason})` : ''}`;
}

export function buildGraph(inputs: GraphInputs): FederationGraph {
  const nodes = new Map<string, MapNode>();
  for (const server of inputs.servers) {
    const node = serverNode(server, inputs.scrape(keyOf(server.metadata.namespace, server.metadata.name)));
    nodes.set(node.id, node);
  }
  const edges = new Map<string, MapEdge>();

  /** The node a reference leads to, made a placeholder when no such McpServer or URL node exists yet. */
  const endpoint = (reference: string): { id: string; targetId: string } => {
    if (isUrl(reference)) {
      const id = `url:${reference}`;
      if (!nodes.has(id)) nodes.set(id, { id, kind: 'url' });
      return { id, targetId: defaultTargetId(reference) };
    }
    if (!nodes.has(reference)) {
      const [namespace, name] = reference.split('/') as [string, string];
      nodes.set(reference, { id: reference, kind: 'missing', namespace, name });
    }
    return { id: reference, targetId: reference };
  };
  const link = (source: string, reference: string, entry: MapLink) => {
    const from = endpoint(source);
    const to = endpoint(reference);
    const id = `${from.id}->${to.id}`;
    let edge = edges.get(id);
    if (!edge) {
      const figures = inputs.scrape(from.id)?.targets?.get(to.targetId);
      edge = { id, source: from.id, target: to.id, targetId: to.targetId, resolved: true, links: [], ...(figures ? { figures } : {}) };
      edges.set(id, edge);
    }
    edge.links.push(entry);
    edge.resolved &&= entry.resolved;
  };

  for (const server of inputs.servers) {
    const source = keyOf(server.metadata.namespace, server.metadata.name);
    const peersResolved = server.status?.conditions?.find((c) => c.type === 'PeersResolved');
    for (const peer of server.status?.peers ?? []) {
      link(source, peer.name, {
        kind: 'peer',
        resolved: peer.resolved,
        ...(peer.resolved ? {} : { reason: notFound(peer.name, peersResolved) }),
      });
    }
  }

  const serverKeys = new Set(inputs.servers.map((s) => keyOf(s.metadata.namespace, s.metadata.name)));
  for (const route of inputs.routes) {
    const namespace = route.metadata.namespace ?? 'default';
    const name = keyOf(namespace, route.metadata.name);
    const resolvedRefs = route.status?.conditions?.find((c) => c.type === 'ResolvedRefs');
    for (const source of route.status?.servers ?? []) {
      for (const target of route.spec.targets) {
        const reference = target.url ?? keyOf(target.serverRef?.namespace ?? namespace, target.serverRef?.name ?? '');
        // ResolvedRefs speaks for the whole route; when it is False, the targets that exist are fine.
        const resolved = target.url !== undefined || resolvedRefs?.status === 'True' || serverKeys.has(reference);
        link(source, reference, {
          kind: 'route',
          route: name,
          resolved,
          ...(resolved ? {} : { reason: notFound(reference, resolvedRefs) }),
        });
      }
    }
  }

  const order = (a: MapLink, b: MapLink) => (a.kind === b.kind ? (a.route ?? '').localeCompare(b.route ?? '') : a.kind === 'peer' ? -1 : 1);
  return {
    at: inputs.now,
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.values()].map((edge) => ({ ...edge, links: edge.links.sort(order) })).sort((a, b) => a.id.localeCompare(b.id)),
  };
}
