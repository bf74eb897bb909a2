// Which events a route takes: its match (event types with wildcards, sources, metadata values),
// compiled once into a test run for every event and route.
import { compileTypeFilter, type McpEvent, type TypeFilter } from '../../src/event/index.js';
import type { GatewayConfig } from '../../src/config/index.js';

/** All of the match's conditions hold (an empty list of sources, or of metadata, holds for any event). */
export function compileRouteMatch(match: GatewayConfig['routes'][number]['match']): (event: McpEvent) => boolean {
  const typeOk: TypeFilter = compileTypeFilter(match.eventTypes);
  const sources = match.sources.length > 0 ? new Set(match.sources) : undefined;
  const metadata = Object.entries(match.metadata);
  return (event) =>
    typeOk(event.event_type) &&
    (sources === undefined || sources.has(event.source)) &&
    metadata.every(([key, value]) => event.metadata[key] === value);
}
