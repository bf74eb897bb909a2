// Federation bookkeeping carried in an event's metadata, under reserved keys: how many gateways
// it has passed and which. The names are valid CloudEvents extension names, so they survive
// that mapping unchanged.
import type { McpEvent } from './model.js';

export const HOPS_KEY = 'mcphops';
export const PATH_KEY = 'mcppath';
export const RESERVED_METADATA_KEYS: readonly string[] = [HOPS_KEY, PATH_KEY];

export function hopsOf(event: McpEvent): number {
  const hops = Number(event.metadata[HOPS_KEY]);
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
}

/** Gateway ids the event has passed, oldest first. */
export function pathOf(event: McpEvent): string[] {
  const path = event.metadata[PATH_KEY];
  return path ? path.split(',').filter((id) => id !== '') : [];
}

/** The event as this gateway forwards it: one more hop, this gateway appended to the path.
 * event_id and everything else stay as they are. */
export function forwardedBy(event: McpEvent, gatewayId: string): McpEvent {
  return {
    ...event,
    metadata: {
      ...event.metadata,
      [HOPS_KEY]: String(hopsOf(event) + 1),
      [PATH_KEY]: [...pathOf(event), gatewayId].join(','),
    },
  };
}
