// Where the map reads a server's gateway metrics in a cluster: the Service the operator renders
// for it, on the health port. A Service answers from one pod per request, so with several
// replicas each read sees one of them (per-pod reads would need the EndpointSlices).
// `make run` passes its own resolver instead: the local port of each gateway process.
import type { McpServer } from '../../src/api/index.js';
import { serverEndpoints } from '../resolve/addresses.js';
import type { GatewayMetricsUrls } from './scraper.js';

export function serviceMetricsUrls(clusterDomain: string): GatewayMetricsUrls {
  return (server: McpServer) => [`${serverEndpoints(server, clusterDomain).health}/metrics`];
}
