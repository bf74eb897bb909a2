import { describe, expect, it } from 'vitest';
import type { Condition, McpRoute, McpServer } from '../../../../src/api/index.js';
import type { EdgeFigures } from '../../../../operator/federation-map/figures.js';
import { buildGraph } from '../../../../operator/federation-map/graph.js';
import type { ServerScrape } from '../../../../operator/federation-map/scraper.js';

const condition = (type: string, status: Condition['status'], reason: string, message = ''): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

function server(
  namespace: string,
  name: string,
  extra: { spec?: Record<string, unknown>; status?: McpServer['status']; generation?: number } = {},
): McpServer {
  return {
    apiVersion: 'mcp.tas.ai/v1alpha1',
    kind: 'McpServer',
    metadata: { namespace, name, generation: extra.generation ?? 1 },
    spec: (extra.spec ?? {}) as McpServer['spec'],
    ...(extra.status ? { status: extra.status } : {}),
  };
}

function route(namespace: string, name: string, spec: McpRoute['spec'], status?: McpRoute['status']): McpRoute {
  return { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpRoute', metadata: { namespace, name, generation: 1 }, spec, ...(status ? { status } : {}) };
}

const figures = (delivered: number): EdgeFigures => ({
  eventsPerSecond: 1.5,
  errorsPerSecond: 0,
  delivered,
  queueDepth: 0,
  circuit: 'closed',
  deadLetters: 0,
});

// The samples, as the operator reports them once reconciled.
const alpha = server('team-a', 'alpha', {
  spec: { replicas: 1 },
  status: {
    observedGeneration: 1,
    replicas: 1,
    readyReplicas: 1,
    conditions: [condition('Ready', 'True', 'Available'), condition('PeersResolved', 'True', 'AllPeersResolved')],
    peers: [{ name: 'team-b/beta', address: 'http://beta.team-b.svc.cluster.local:8080', resolved: true }],
  },
});
const beta = server('team-b', 'beta', {
  spec: { bus: { type: 'jetstream' } },
  status: {
    observedGeneration: 1,
    replicas: 3,
    readyReplicas: 2,
    conditions: [
      condition('Ready', 'False', 'PodsNotReady'),
      condition('PeersResolved', 'False', 'PeerNotFound', 'McpServer peer(s) not found: team-c/gone'),
    ],
    peers: [
      { name: 'team-a/alpha', address: 'http://alpha.team-a.svc.cluster.local:8080', resolved: true },
      { name: 'team-c/gone', resolved: false },
      { name: 'https://hooks.example:8443/mcp', address: 'https://hooks.example:8443/mcp', resolved: true },
    ],
  },
});
const documents = route(
  'team-a',
  'documents-to-team-b',
  {
    serverRef: { name: 'alpha' },
    targets: [{ serverRef: { name: 'beta', namespace: 'team-b' } }, { serverRef: { name: 'missing', namespace: 'team-b' } }],
  },
  { servers: ['team-a/alpha'], conditions: [condition('ResolvedRefs', 'False', 'TargetNotFound', 'McpServer target(s) not found: team-b/missing')] },
);

describe('buildGraph', () => {
  const scrapes = new Map<string, ServerScrape>([
    [
      'team-a/alpha',
      {
        state: 'ok',
        answered: 1,
        gateways: 1,
        at: 5,
        node: { eventsPerSecond: 2, errorsPerSecond: 0, accepted: 9, errors: 0, queueDepth: 0, openCircuits: 0, deadLetters: 0, deadLettersHeld: 0 },
        targets: new Map([['team-b/beta', figures(7)]]),
      },
    ],
    ['team-b/beta', { state: 'failed', detail: 'timed out after 2000 ms', answered: 0, gateways: 3, at: 5 }],
  ]);
  const graph = buildGraph({ servers: [beta, alpha], routes: [documents], scrape: (key) => scrapes.get(key), now: 42 });

  it('makes every McpServer a node with its readiness, replicas and bus (memory when spec.bus is absent)', () => {
    const nodes = Object.fromEntries(graph.nodes.map((n) => [n.id, n]));
    expect(graph.at).toBe(42);
    expect(nodes['team-a/alpha']).toMatchObject({
      kind: 'server',
      ready: 'True',
      replicas: { ready: 1, total: 1 },
      bus: 'memory',
      pending: false,
      figures: { accepted: 9 },
    });
    expect(nodes['team-b/beta']).toMatchObject({
      kind: 'server',
      ready: 'False',
      readyReason: 'PodsNotReady',
      replicas: { ready: 2, total: 3 },
      bus: 'jetstream',
    });
    expect(nodes['team-b/beta']!.scrape).toEqual({ state: 'failed', detail: 'timed out after 2000 ms', answered: 0, gateways: 3, at: 5 });
    expect(nodes['team-b/beta']!.figures).toBeUndefined();
  });

  it('draws one edge per source and target, naming the peer and the routes that use it, with the target figures', () => {
    const edge = graph.edges.find((e) => e.id === 'team-a/alpha->team-b/beta')!;
    expect(edge).toMatchObject({ source: 'team-a/alpha', target: 'team-b/beta', targetId: 'team-b/beta', resolved: true, figures: figures(7) });
    expect(edge.links).toEqual([
      { kind: 'peer', resolved: true },
      { kind: 'route', route: 'team-a/documents-to-team-b', resolved: true },
    ]);
    expect(graph.edges.find((e) => e.id === 'team-b/beta->team-a/alpha')).toMatchObject({
      resolved: true,
      links: [{ kind: 'peer', resolved: true }],
    });
  });

  it("shows what does not resolve as unresolved edges to placeholder nodes, with the operator's reason", () => {
    const gone = graph.edges.find((e) => e.id === 'team-b/beta->team-c/gone')!;
    expect(gone).toMatchObject({
      resolved: false,
      links: [{ kind: 'peer', resolved: false, reason: 'McpServer team-c/gone not found (PeersResolved: PeerNotFound)' }],
    });
    const missingTarget = graph.edges.find((e) => e.id === 'team-a/alpha->team-b/missing')!;
    expect(missingTarget).toMatchObject({
      resolved: false,
      links: [{ kind: 'route', reason: 'McpServer team-b/missing not found (ResolvedRefs: TargetNotFound)' }],
    });
    expect(graph.nodes.filter((n) => n.kind === 'missing').map((n) => n.id)).toEqual(['team-b/missing', 'team-c/gone']);
  });

  it('draws a URL peer as a node of its own, known to the gateway by its host', () => {
    const edge = graph.edges.find((e) => e.target === 'url:https://hooks.example:8443/mcp')!;
    expect(edge).toMatchObject({ source: 'team-b/beta', targetId: 'hooks.example:8443', resolved: true });
    expect(graph.nodes.find((n) => n.id === edge.target)).toEqual({ id: 'url:https://hooks.example:8443/mcp', kind: 'url' });
  });

  it('draws nothing for a route or server the operator has not reported on yet, and marks the server pending', () => {
    const fresh = server('team-c', 'fresh', { spec: { peers: [{ serverRef: { name: 'alpha', namespace: 'team-a' } }] }, generation: 2 });
    const unreported = route('team-c', 'r', { serverRef: { name: 'fresh' }, targets: [{ url: 'http://x' }] });
    const view = buildGraph({ servers: [fresh], routes: [unreported], scrape: () => undefined, now: 1 });
    expect(view.edges).toEqual([]);
    expect(view.nodes).toEqual([expect.objectContaining({ id: 'team-c/fresh', pending: true, ready: 'Unknown', replicas: { ready: 0, total: 0 } })]);
  });
});
