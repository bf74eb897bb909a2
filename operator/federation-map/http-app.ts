// The map's HTTP server: the page, the graph as JSON (GET /api/graph), the graph as it changes
// (GET /api/stream, server-sent events), and one server's conditions and recent Kubernetes Events
// (GET /api/servers/:namespace/:name). Read-only: nothing here writes to the cluster.
import Fastify, { type FastifyInstance } from 'fastify';
import type { MapAssets } from './assets.js';
import type { FederationGraph } from './graph.js';
import type { SnapshotStream } from './snapshot-stream.js';
import type { ServerDetails } from './server-details.js';

export interface MapAppDeps {
  assets: MapAssets;
  graph: () => FederationGraph;
  stream: SnapshotStream;
  /** undefined when there is no such McpServer. */
  details: (namespace: string, name: string, signal: AbortSignal) => Promise<ServerDetails | undefined>;
}

/** The page loads only its own files and talks only to this server. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function createMapApp(deps: MapAppDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });

  for (const [path, asset] of deps.assets.files) {
    app.get(path, async (_request, reply) =>
      reply
        .header('content-type', asset.contentType)
        .header('cache-control', path.startsWith('/vendor/') ? 'public, max-age=86400' : 'no-cache')
        .send(asset.body),
    );
  }

  app.get('/api/graph', async (_request, reply) => reply.header('cache-control', 'no-store').send(deps.graph()));

  app.get('/api/stream', async (_request, reply) => {
    if (deps.stream.full) return reply.code(503).header('retry-after', '10').send({ error: 'too many map clients: MAP_MAX_CLIENTS reached' });
    // From here the stream owns the response and writes its own headers.
    reply.hijack();
    deps.stream.accept(reply.raw, { event: 'graph', data: deps.graph() });
  });

  app.get<{ Params: { namespace: string; name: string } }>('/api/servers/:namespace/:name', async (request, reply) => {
    const { namespace, name } = request.params;
    if (!NAME.test(namespace) || !NAME.test(name)) return reply.code(400).send({ error: 'namespace and name must be Kubernetes object names' });
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const details = await deps.details(namespace, name, abort.signal);
    if (!details) return reply.code(404).send({ error: `no McpServer ${namespace}/${name}` });
    return reply.header('cache-control', 'no-store').send(details);
  });

  return app;
}
