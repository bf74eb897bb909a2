// Federation bookkeeping carried in an event's metadata, under reserved keys: how many gateways
// it has passed and which. The names are valid CloudEvents extension names, so they survive
// that mapping unchanged.
import { HOPS_KEY, KEY_ID_KEY, PATH_KEY, SIGNATURE_KEY } from './metadata-keys.js';
import { withMetadata, type McpEvent } from './model.js';

/** Keys a producer may not set: only a gateway (hops, path) or a signing peer writes them. */
export const RESERVED_METADATA_KEYS: readonly string[] = [HOPS_KEY, PATH_KEY, SIGNATURE_KEY, KEY_ID_KEY];

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
  // Copied key by key (not with rest/spread): this runs once per forwarded event.
  const metadata: Record<string, string> = {};
  for (const key in event.metadata) if (key !== SIGNATURE_KEY && key !== KEY_ID_KEY) metadata[key] = event.metadata[key]!;
  const path = event.metadata[PATH_KEY];
  metadata[HOPS_KEY] = String(hopsOf(event) + 1);
  // A well-formed path gets the id appended; one with empty entries is cleaned up first.
  metadata[PATH_KEY] = !path ? gatewayId : /(^|,)(,|$)/.test(path) ? [...pathOf(event), gatewayId].join(',') : `${path},${gatewayId}`;
  return withMetadata(event, metadata);
}
