// Authentication for HTTP routes: an onRequest hook, so a request without valid credentials is
// answered 401 before its body is read. The Caller it finds is on `request.caller` for the
// routes (tenancy, per-client rate limits); /health, /ready and /metrics are registered outside
// the scope this hook guards.
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onRequestAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import { PEER_HEADER, anonymous, bearerToken, type AuthFailureReason, type Caller } from '../../auth/caller.js';
import { WS_BEARER_PREFIX } from './websocket-protocol.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The bearer credential of a request: `Authorization: Bearer`, or, for a WebSocket upgrade (a
 * browser cannot set headers there), a `bearer.<token>` subprotocol or an `access_token` query
 * parameter.
 */
function bearerOf(request: FastifyRequest): string | undefined {
  const authorization = header(request, 'authorization');
  if (authorization !== undefined) return bearerToken(authorization);
  if (header(request, 'upgrade')?.toLowerCase() !== 'websocket') return undefined;
  const offered = (header(request, 'sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
  const fromProtocol = offered.find((p) => p.startsWith(WS_BEARER_PREFIX))?.slice(WS_BEARER_PREFIX.length);
  return fromProtocol ?? (request.query as { access_token?: string } | undefined)?.access_token;
}

export function authHook(
  authenticator: Authenticator,
  onFailure: (reason: AuthFailureReason) => void,
): onRequestHookHandler | onRequestAsyncHookHandler {
  if (authenticator.mode === 'none') {
    // No await on the hot path when nothing is checked.
    return (request, _reply, done) => {
      request.caller = anonymous(request.ip);
      done();
    };
  }
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await authenticator.authenticate({
      bearer: bearerOf(request),
      apiKey: header(request, 'x-api-key'),
      peerKeyId: header(request, PEER_HEADER),
      address: request.ip,
    });
    if (result.ok) {
      request.caller = result.caller;
      return;
    }
    onFailure(result.reason);
    const unavailable = result.reason === 'auth_unavailable';
    // Close the connection: the body that may follow is not going to be read.
    return reply
      .code(unavailable ? 503 : 401)
      .header('www-authenticate', `Bearer realm="tas-mcp", error="invalid_token"`)
      .header('connection', 'close')
      .send({ status: 'rejected', error: result.reason, message: result.message });
  };
}

/** For routes that act across tenants (the dead-letter API): a tenant-bound caller, or a peer
 * (signatures authenticate events, not requests), gets 403. */
export async function requireUnboundCaller(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.caller?.tenant === undefined && request.caller?.kind !== 'peer') return;
  await reply
    .code(403)
    .send({ status: 'rejected', error: 'forbidden', message: 'credentials bound to a tenant, or peer signatures, cannot use the dead-letter API' });
}
