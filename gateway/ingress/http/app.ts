// The HTTP ingress server (HTTP_PORT): event routes, the reference server's /api/v1 views, plus
// /health, /ready and /metrics; CORS when origins are configured.
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { healthRoutes } from '../../health/routes.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import type { GatewayStatus } from '../../status.js';
import type { DeadLetters } from '../../forwarding/dead-letters.js';
import type { Forwarder } from '../../forwarding/forwarder.js';
import type { RuntimeTargets } from '../../forwarding/runtime-targets.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { AuthFailureReason } from '../../auth/caller.js';
import { authHook, requireUnboundCaller } from './auth-hook.js';
import { jsonBodiesOnly, type BodyRejection } from './body-parsing.js';
import { readPair, watchHttpsCertificates, type TlsFiles } from '../../tls/server-tls.js';
import fastifyWebsocket from '@fastify/websocket';
import { dlqRoutes } from './dlq-routes.js';
import { eventRoutes, INGEST_PATHS } from './events-routes.js';
import { forwardingRoutes } from './forwarding-routes.js';
import { statsRoutes } from './stats-routes.js';
import { WS_PROTOCOL } from './websocket-protocol.js';
import { webSocketRoutes } from './websocket-routes.js';
import type { Subscriptions } from '../../subscribers/subscriptions.js';

export interface HttpAppOptions {
  ingest: IngestService;
  subscriptions: Subscriptions;
  status: GatewayStatus;
  registry: Registry;
  maxEventSize: number;
  maxBatchSize: number;
  maxBatchBytes: number;
  /** Whole-request deadline; a body that stalls is answered 408 when it passes. */
  requestTimeoutMs: number;
  deadLetters: DeadLetters;
  forwarder: Forwarder;
  /** Targets as the forwarding API changes them. */
  targets: RuntimeTargets;
  authenticator: Authenticator;
  onAuthFailure: (reason: AuthFailureReason) => void;
  /** A body refused before an ingest route ran (415, unparsable, too large): counted as a rejected event. */
  onRejectedBody?: (reason: BodyRejection) => void;
  /** Browser origins allowed (CORS); none = no CORS headers at all. */
  cors?: { allowedOrigins: string[]; maxAgeMs: number } | undefined;
  /** Serve HTTPS from these files (re-read when they change). */
  tls?: { files: TlsFiles; onError: (message: string) => void; onReload: () => void } | undefined;
}

/** JSON escaping can double an event's bytes on the wire (data is JSON inside a JSON string):
 * the body limit leaves room for that, and the validator then applies MAX_EVENT_SIZE exactly. */
export function eventBodyLimit(maxEventSize: number): number {
  return 2 * maxEventSize + 64 * 1024;
}

/**
 * Node enforces requestTimeout (whole request) and headersTimeout (headers) only when it checks
 * its connections, every 30 s by default: a stalled body would hold its socket up to 30 s past
 * REQUEST_TIMEOUT. Checking at a quarter of the timeout (at most every second) keeps the 408
 * within about REQUEST_TIMEOUT + 25 %.
 */
export function stalledRequestChecks(requestTimeoutMs: number): { connectionsCheckingInterval: number; headersTimeout: number } {
  return {
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    headersTimeout: requestTimeoutMs,
  };
}

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const serverOptions = {
    logger: false,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: 65_000,
    bodyLimit: eventBodyLimit(options.maxEventSize),
    return503OnClosing: true,
  };
  const checks = stalledRequestChecks(options.requestTimeoutMs);
  // An HTTPS server is typed apart from an HTTP one; the routes and hooks are the same.
  const app = (options.tls
    ? Fastify({ https: Object.assign(readPair(options.tls.files), checks), ...serverOptions })
    : Fastify({ http: checks, ...serverOptions })) as unknown as FastifyInstance;
  if (options.tls) {
    const { files, onError, onReload } = options.tls;
    const stop = watchHttpsCertificates(app.server as unknown as import('node:https').Server, files, onError, onReload);
    app.addHook('onClose', async () => stop());
  }
  const ingestPaths = new Set<string>(INGEST_PATHS);
  jsonBodiesOnly(app, {
    onRejected: (request, reason) => {
      if (request.method === 'POST' && ingestPaths.has(request.routeOptions.url ?? '')) options.onRejectedBody?.(reason);
    },
  });
  if (options.cors && options.cors.allowedOrigins.length > 0) {
    const origins = options.cors.allowedOrigins;
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key'],
      exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
      maxAge: Math.round(options.cors.maxAgeMs / 1000),
    });
  }
  app.decorateRequest('caller', null as never);
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: eventBodyLimit(options.maxEventSize),
      // Answer with our subprotocol when offered (a browser that sends a `bearer.<token>` beside it needs one chosen).
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  });
  // Everything but health and metrics needs credentials (when auth is on).
  await app.register(async (guarded) => {
    guarded.addHook('onRequest', authHook(options.authenticator, options.onAuthFailure));
    await guarded.register(eventRoutes, {
      ingest: options.ingest,
      eventBodyLimit: eventBodyLimit(options.maxEventSize),
      batchBodyLimit: options.maxBatchBytes,
      maxBatchSize: options.maxBatchSize,
    });
    await guarded.register(webSocketRoutes, { ingest: options.ingest, subscriptions: options.subscriptions });
    await guarded.register(async (admin) => {
      admin.addHook('preHandler', requireUnboundCaller);
      await admin.register(dlqRoutes, { deadLetters: options.deadLetters, forwarder: options.forwarder });
      await admin.register(forwardingRoutes, { deadLetters: options.deadLetters, forwarder: options.forwarder, targets: options.targets });
    });
  });
  await app.register(healthRoutes, { status: options.status, registry: options.registry });
  await app.register(statsRoutes, { status: options.status });
  return app;
}

/** The health server (HEALTH_CHECK_PORT): only /health, /ready and /metrics. */
export async function createHealthApp(options: { status: GatewayStatus; registry: Registry }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, requestTimeout: 10_000, http: stalledRequestChecks(10_000) });
  await app.register(healthRoutes, options);
  return app;
}
