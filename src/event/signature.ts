// Signed federation: an HMAC-SHA256 over a canonical form of the event, carried with its key id
// in reserved metadata keys (valid CloudEvents extension names, so they survive that mapping).
//
// Canonical form: the UTF-8 bytes of
//   JSON.stringify([event_id, event_type, source, timestamp, data, metadata])
// where `metadata` is an array of [key, value] pairs sorted by key (JavaScript string order,
// i.e. UTF-16 code units), without the signature keys themselves. The hop count and path are
// included: they are what loop prevention trusts, so a peer cannot be made to skip a target.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { metadataWith, withMetadata, type McpEvent } from './model.js';

import { KEY_ID_KEY, SIGNATURE_KEY } from './metadata-keys.js';

export type SignatureCheck = 'valid' | 'unsigned' | 'unknown_key_id' | 'bad_signature';

export function canonicalForm(event: McpEvent): string {
  const metadata = Object.keys(event.metadata)
    .filter((key) => key !== SIGNATURE_KEY && key !== KEY_ID_KEY)
    .sort()
    .map((key) => [key, event.metadata[key]!]);
  return JSON.stringify([event.event_id, event.event_type, event.source, event.timestamp, event.data, metadata]);
}

function mac(event: McpEvent, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(canonicalForm(event), 'utf8').digest();
}

/** The event with `mcpkid` and `mcpsig` (base64url HMAC) set; any previous signature is replaced. */
export function signEvent(event: McpEvent, keyId: string, secret: Buffer): McpEvent {
  return withMetadata(event, metadataWith(event, { [KEY_ID_KEY]: keyId, [SIGNATURE_KEY]: mac(event, secret).toString('base64url') }));
}

export function isSigned(event: McpEvent): boolean {
  return event.metadata[SIGNATURE_KEY] !== undefined || event.metadata[KEY_ID_KEY] !== undefined;
}

/** Checks an event's signature against the keys held, by key id; constant time in the MAC. */
export function checkSignature(event: McpEvent, keys: ReadonlyMap<string, Buffer>): SignatureCheck {
  const signature = event.metadata[SIGNATURE_KEY];
  const keyId = event.metadata[KEY_ID_KEY];
  if (signature === undefined || keyId === undefined) return 'unsigned';
  const secret = keys.get(keyId);
  if (!secret) return 'unknown_key_id';
  const presented = Buffer.from(signature, 'base64url');
  const expected = mac(event, secret);
  return presented.length === expected.length && timingSafeEqual(presented, expected) ? 'valid' : 'bad_signature';
}
