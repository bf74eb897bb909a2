// The federation map, put together: the McpServer and McpRoute caches the controllers share, a
// scraper of the gateways' /metrics, and an HTTP server for the page. The graph is rebuilt and
// sent to open pages after each scrape round and (debounced) whenever a server or route changes.
// It reads only, so it runs on every operator replica, leader or not.
import type { FastifyInstance } from 'fastify';
import type { McpRoute, McpServer } from '../../src/api/index.js';
import type { Informer } from '../../src/kube/informer.js';
import type { Logger } from '../../src/observability/logger.js';
import { loadMapAssets, type MapAssets } from './assets.js';
import { buildGraph, type FederationGraph } from './graph.js';
import { createMapApp } from './http-app.js';
import { GatewayScraper, type GatewayMetricsUrls } from './scraper.js';
import { createServerDetails } from './server-details.js';
import type { ServerEventsReader } from './server-events.js';
import { SnapshotStream } from './snapshot-stream.js';

export interface FederationMapSettings {
  host: string;
  /** 0: any free port. */
  port: number;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  maxServers: number;
  maxClients: number;
}

export interface FederationMapDeps {
  servers: Informer<McpServer>;
  routes: Informer<McpRoute>;
  metricsUrls: GatewayMetricsUrls;
  events: ServerEventsReader;
  logger: Logger;
  assets?: MapAssets;
}

export interface FederationMap {
  /** Listens and starts scraping; resolves with the port it listens on. */
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  graph(): FederationGraph;
}

const CHANGE_DEBOUNCE_MS = 200;

export function createFederationMap(settings: FederationMapSettings, deps: FederationMapDeps): FederationMap {
  const assets = deps.assets ?? loadMapAssets();
  const stream = new SnapshotStream({ maxClients: settings.maxClients });
  const graph = () => buildGraph({ servers: deps.servers.list(), routes: deps.routes.list(), scrape: (key) => scraper.scrape(key), now: Date.now() });
  const publish = () => stream.publish('graph', graph());
  const scraper = new GatewayScraper({
    servers: () => deps.servers.list(),
    metricsUrls: deps.metricsUrls,
    intervalMs: settings.scrapeIntervalMs,
    timeoutMs: settings.scrapeTimeoutMs,
    maxServers: settings.maxServers,
    onRound: publish,
    logger: deps.logger,
  });

  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      publish();
    }, CHANGE_DEBOUNCE_MS);
  };
  const handlers = { add: changed, update: changed, delete: changed };
  const unsubscribe: (() => void)[] = [];

  let app: FastifyInstance | undefined;
  return {
    graph,
    async start() {
      unsubscribe.push(deps.servers.on(handlers), deps.routes.on(handlers));
      // Idempotent: the controllers start the same shared informers when this replica leads.
      deps.servers.start();
      deps.routes.start();
      app = createMapApp({
        assets,
        graph,
        stream,
        details: createServerDetails({ lookup: (namespace, name) => deps.servers.get(namespace, name), events: deps.events }),
      });
      await app.listen({ host: settings.host, port: settings.port }).catch((error: NodeJS.ErrnoException) => {
        throw new Error(`federation map: cannot listen on ${settings.host}:${settings.port} (MAP_PORT): ${error.code ?? error.message}`, {
          cause: error,
        });
      });
      scraper.start();
      const address = app.server.address();
      return { port: typeof address === 'object' && address ? address.port : settings.port };
    },
    async stop() {
      for (const off of unsubscribe.splice(0)) off();
      clearTimeout(pending);
      await scraper.stop();
      stream.close();
      await app?.close();
    },
  };
}
