// Authentication for gRPC services: every guarded method (unary and streaming alike) first turns
// the call's metadata (`authorization: Bearer ...`, `x-api-key`) into a Caller; a call without
// valid credentials ends with UNAUTHENTICATED naming what is wrong, before its handler runs.
import * as grpc from '@grpc/grpc-js';
import { PEER_HEADER, anonymous, bearerToken, type AuthFailureReason, type AuthResult, type Caller } from '../../auth/caller.js';
import type { Authenticator } from '../../auth/authenticator.js';

// The caller rides on the call object itself, not in a WeakMap keyed by calls: V8 clears a
// WeakMap's entries only in a full collection, so one entry per call kept every call through the
// minor collections and into the old generation.
const CALLER = Symbol('tas-mcp caller');
type WithCaller = { [CALLER]?: Caller };

/** The client's address without its port: "127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1". */
export function peerAddress(call: { getPeer(): string }): string {
  const peer = call.getPeer().replace(/^ipv[46]:/, '');
  return peer.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') || 'unknown';
}

/** Who made this call: set by the guard, else the anonymous caller at its address. */
export function callerOf(call: { getPeer(): string }): Caller {
  return (call as WithCaller)[CALLER] ?? anonymous(peerAddress(call));
}

function first(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

export interface GuardOptions {
  authenticator: Authenticator;
  /** Methods left open (health and metrics), by name. */
  open?: readonly string[];
  /** Streaming methods whose responses answer what the caller sent, not a subscription to events: peer signatures admit them. */
  answerStreams?: readonly string[];
  onFailure?: (reason: AuthFailureReason) => void;
}

export function guardService(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
  options: GuardOptions,
): grpc.UntypedServiceImplementation {
  if (options.authenticator.mode === 'none') return implementation;
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(implementation)) {
    const method = definition[name];
    if (!method || options.open?.includes(name)) {
      guarded[name] = handler;
      continue;
    }
    const unary = !method.requestStream && !method.responseStream;
    const clientStreamOnly = method.requestStream && !method.responseStream;
    const subscribes = method.responseStream && !options.answerStreams?.includes(name);
    guarded[name] = ((
      call: grpc.ServerUnaryCall<unknown, unknown> & grpc.ServerDuplexStream<unknown, unknown>,
      callback?: grpc.sendUnaryData<unknown>,
    ) => {
      const authorization = first(call.metadata, 'authorization');
      const credentials = {
        bearer: authorization === undefined ? undefined : bearerToken(authorization),
        apiKey: first(call.metadata, 'x-api-key'),
        peerKeyId: first(call.metadata, PEER_HEADER),
        address: peerAddress(call),
      };
      void options.authenticator.authenticate(credentials).then((authenticated) => {
        // Peer signatures authenticate the events a peer sends, not a subscription.
        const result: AuthResult =
          authenticated.ok && authenticated.caller.kind === 'peer' && subscribes
            ? { ok: false, reason: 'missing_credentials', message: 'subscriptions need credentials; peer signatures only admit signed events' }
            : authenticated;
        if (!result.ok) {
          options.onFailure?.(result.reason);
          // A JWKS endpoint that cannot be reached says nothing about the credentials: retry later.
          const code = result.reason === 'auth_unavailable' ? grpc.status.UNAVAILABLE : grpc.status.UNAUTHENTICATED;
          const status = { code, details: `${result.message} (${result.reason})` };
          if (unary || clientStreamOnly) callback!(status);
          else call.emit('error', status);
          return;
        }
        if (call.cancelled) return;
        (call as WithCaller)[CALLER] = result.caller;
        (handler as (...args: unknown[]) => void)(call, callback);
      });
    }) as grpc.UntypedHandleCall;
  }
  return guarded;
}
