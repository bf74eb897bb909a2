// Who made a request, as far as the gateway knows after authentication.

export interface Caller {
  /** `peer`: another gateway, which authenticates each event it forwards with its federation
   * signature instead of credentials; it may ingest signed events only, and not subscribe. */
  kind: 'anonymous' | 'apiKey' | 'jwt' | 'peer';
  /** A stable, non-secret name for the caller, used for rate limits and logs:
   * `key:<id>`, `sub:<subject>`, or `addr:<client address>`. */
  id: string;
  /** The tenant the credentials are bound to, if any: the caller may only send and see its events. */
  tenant?: string | undefined;
}

/** What a request presented, taken from HTTP headers or gRPC metadata. */
export interface Credentials {
  /** The token after `Authorization: Bearer`. */
  bearer?: string | undefined;
  /** `X-API-Key`. */
  apiKey?: string | undefined;
  /** The client's address (no port), the rate-limit key of an anonymous caller. */
  address: string;
  /** `X-MCP-Signed: <key id>`: a peer gateway whose events carry federation signatures. */
  peerKeyId?: string | undefined;
}

/** The header (HTTP) and metadata key (gRPC) a forwarding gateway names its signing key id in. */
export { PEER_HEADER } from '../wire/names.js';

export type AuthFailureReason =
  | 'missing_credentials'
  | 'malformed_credentials'
  | 'unknown_api_key'
  | 'malformed_token'
  | 'expired_token'
  | 'token_not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'bad_signature'
  | 'unknown_signing_key'
  | 'algorithm_not_allowed'
  | 'invalid_token'
  | 'auth_unavailable';

export type AuthResult = { ok: true; caller: Caller } | { ok: false; reason: AuthFailureReason; message: string };

export function anonymous(address: string): Caller {
  return { kind: 'anonymous', id: `addr:${address}` };
}

/** The value of an `Authorization: Bearer <token>` header; undefined when it is not one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}
