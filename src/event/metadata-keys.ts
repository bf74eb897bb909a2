// The metadata keys the gateway itself reads or writes on events, in one place: what a
// subscriber may see, a filter may test, and a producer must not forge.

/** Gateways an event has passed (a count) and their ids (comma-separated), for loop prevention. */
export const HOPS_KEY = 'mcphops';
export const PATH_KEY = 'mcppath';
/** A federation signature (base64url HMAC) and the id of the key that made it. */
export const SIGNATURE_KEY = 'mcpsig';
export const KEY_ID_KEY = 'mcpkid';
/** The tenant an event belongs to, bound to the credentials that sent it. */
export const TENANT_KEY = 'tenant_id';
/** W3C trace context, carried across hops. */
export const TRACEPARENT_KEY = 'traceparent';
export const TRACESTATE_KEY = 'tracestate';
