// Federation bookkeeping carried in an event's metadata, under reserved keys: how many gateways
// it has passed and which. The names are valid CloudEvents extension names, so they survive
// that mapping unchanged.
import type { McpEvent } from './model.js';

export const HOPS_KEY = 'mcphops';
export const PATH_KEY = 'mcppath';
/** Signature keys, defined in signature.ts (repeated here to keep this module free of crypto). */
export const RESERVED_METADATA_KEYS: readonly string[] = [HOPS_KEY, PATH_KEY, 'mcpsig', 'mcpkid'];

/** True when the event claims to have come through federation: it carries any reserved key. */
export function carriesFederationMetadata(event: McpEvent): boolean {
  return RESERVED_METADATA_KEYS.some((key) => event.metadata[key] !== undefined);
}

export function hopsOf(event: McpEvent): number {
  const hops = Number(event.metadata[HOPS_KEY]);
  return Number.isInteger(hops) && hops > 0 ? hops : 0;
}

/** Gateway ids the event has passed, oldest first. */
export function pathOf(event: McpEvent): string[] {
  const path = event.metadata[PATH_KEY];
  return path ? path.split(',').filter((id) => id !== '') : [];
}

/** The event as this gateway forwards it: one more hop, this gateway appended to the path, and
 * the previous hop's signature dropped (it no longer matches; the forwarder signs anew if it
 * holds keys). event_id and everything else stay as they are. */
export function forwardedBy(event: McpEvent, gatewayId: string): McpEvent {
  const { mcpsig: _signature, mcpkid: _keyId, ...metadata } = event.metadata;
  return {
    ...event,
    metadata: {
      ...metadata,
      [HOPS_KEY]: String(hopsOf(event) + 1),
      [PATH_KEY]: [...pathOf(event), gatewayId].join(','),
    },
  };
}
