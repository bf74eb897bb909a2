// The gateway configuration schema: the contract between the operator, which renders it into a
// ConfigMap, and the gateway, which loads it. One schema, used by both sides.
import { z } from 'zod';
import { GATEWAY_DEFAULTS } from './defaults.js';
import { DEFAULT_RETRY_ON, parseRetryOnEntry, RETRY_ON_HELP } from './retry-on.js';
import { conflictingTargets } from './target-identity.js';
import { parseBytes, parseDuration } from './units.js';

const port = z.number().int().min(1).max(65535);

const bytes = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseBytes(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 1048576, 1MB or 1Mi, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s, 500ms or 1m30s, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return parsed;
});

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** A file path (a mounted Secret, usually). */
const filePath = z.string().min(1).max(4096);

const targetUrl = z.string().refine((text) => /^(https?|grpcs?):\/\/[^\s/]+/.test(text), {
  message: 'expected an http://, https://, grpc:// or grpcs:// URL',
});

/** How other gateways name a target when no id is given: its host:port. */
export function defaultTargetId(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Where our gateways (and the Go reference server) take many events at once. */
export const MCP_BATCH_PATH = '/api/v1/events/batch';

/** An mcp target's URL at which batches go: any gRPC address, an HTTP one without a path, or the batch route itself. */
function takesMcpBatches(url: string): boolean {
  if (/^grpcs?:/.test(url)) return true;
  const path = /^https?:\/\/[^/?#]+([^?#]*)/.exec(url)?.[1] ?? '';
  return path === '' || path === '/' || path === MCP_BATCH_PATH;
}

/** TLS to a target (https://, grpcs://, or grpc:// with this block): whom to trust, who we are. */
const targetTls = z
  .strictObject({
    /** PEM CA bundle the target's certificate must chain to; unset = the system's trusted roots. */
    caFile: filePath.optional(),
    /** PEM client certificate and key, for targets that require them (mutual TLS). */
    certFile: filePath.optional(),
    keyFile: filePath.optional(),
    /** The name the target's certificate must carry; unset = the URL's host. */
    serverName: z.string().min(1).max(253).optional(),
  })
  .refine((value) => (value.certFile === undefined) === (value.keyFile === undefined), {
    message: 'certFile and keyFile go together',
    path: ['keyFile'],
  });

export const TARGET_FORMATS = ['mcp', 'cloudevents', 'legacy'] as const;

/**
 * A forwarding target: a URL, or {url, id, format, batch, tls}. `id` is the name the target's own
 * gateway goes by (GATEWAY_ID), so an event is never sent back to a gateway already on its path.
 * - mcp: another MCP gateway. A bare address (no path) is its API: batches to
 *   /api/v1/events/batch, single events to /api/v1/events where batches are not understood.
 *   With a path, one event per request to that path.
 * - cloudevents: one CloudEvent per request (HTTP binary mode), or with `batch: true` the
 *   batched content mode (application/cloudevents-batch+json).
 * - legacy: the seed's {id, data} to POST /mcp, for receivers that read only that shape.
 */
const target = z
  .union([
    targetUrl,
    z.strictObject({
      url: targetUrl,
      id: z.string().min(1).max(256).optional(),
      format: z.enum(TARGET_FORMATS).default('mcp'),
      /** Many events per request. Default: true for mcp, false otherwise. */
      batch: z.boolean().optional(),
      tls: targetTls.optional(),
    }),
  ])
  .transform((value) => {
    const spec = typeof value === 'string' ? { url: value, format: 'mcp' as const } : value;
    const batch = 'batch' in spec && spec.batch !== undefined ? spec.batch : spec.format === 'mcp' && takesMcpBatches(spec.url);
    const tls = 'tls' in spec ? spec.tls : undefined;
    return { url: spec.url, id: spec.id ?? defaultTargetId(spec.url), format: spec.format, batch, ...(tls ? { tls } : {}) };
  })
  .refine((t) => t.format === 'mcp' || /^https?:/.test(t.url), { message: 'cloudevents and legacy targets must be http(s) URLs' })
  .refine((t) => !(t.format === 'legacy' && t.batch), { message: 'legacy targets take one event per request (batch: false)', path: ['batch'] })
  .refine((t) => !(t.format === 'mcp' && t.batch && !takesMcpBatches(t.url)), {
    message: `an mcp target takes batches at a bare address (http://host:port, grpc://host:port) or at ${MCP_BATCH_PATH}; a URL with another path gets one event per request`,
    path: ['batch'],
  })
  .refine((t) => !(t.tls && t.url.startsWith('http:')), { message: 'tls needs an https://, grpcs:// or grpc:// URL', path: ['tls'] });

/** Answers worth another attempt (src/config/retry-on.ts); connection errors and timeouts always are. */
const retryOn = z
  .array(
    z.union([z.number(), z.string()]).transform((value, ctx) => {
      const entry = parseRetryOnEntry(value);
      if (entry === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected ${RETRY_ON_HELP}, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return entry;
    }),
  )
  .min(1, 'must name at least one status (leave retryOn out for the default)')
  .max(32);

const retry = z.strictObject({
  /** Attempts in all, the first included. */
  maxAttempts: z.number().int().min(1).max(100).optional(),
  initialBackoff: duration.optional(),
  maxBackoff: duration.optional(),
  /** Unset: the server's forwarding.retry.retryOn. */
  retryOn: retryOn.optional(),
});

const delivery = z.strictObject({
  timeout: duration.pipe(z.number().min(1)).optional(),
  retry: retry.optional(),
});

const route = z.strictObject({
  name: z.string().min(1).max(256),
  match: z
    .strictObject({
      eventTypes: z.array(z.string().min(1)).default([]),
      sources: z.array(z.string().min(1)).default([]),
      metadata: z.record(z.string(), z.string()).default({}),
    })
    .prefault({}),
  targets: z.array(target).min(1),
  delivery: delivery.prefault({}),
});

const auth = z
  .strictObject({
    /** Which credentials ingest and subscriptions need: none (the default), API keys, JWTs, or either. */
    mode: z.enum(['none', 'apiKey', 'jwt', 'any']).default('none'),
    apiKeys: z
      .strictObject({
        /** A file with one key per line (`<key> [tenant=<tenant>]`), or a directory whose files each hold one key
         * (the file name is the key's id). Re-read when it changes, so keys rotate without a restart. */
        file: filePath.optional(),
      })
      .prefault({}),
    jwt: z
      .strictObject({
        /** Required `iss`. */
        issuer: z.string().min(1).optional(),
        /** Required `aud` (one of). */
        audience: z.array(z.string().min(1)).default([]),
        /** Signing keys from a JWKS endpoint (cached, refetched for unknown key ids). */
        jwksUrl: z
          .string()
          .regex(/^https?:\/\/[^\s/]+/, 'expected an http(s) URL')
          .optional(),
        /** Signing keys from a file: a JWKS document or a PEM public key. Re-read when it changes. */
        keyFile: filePath.optional(),
        algorithms: z
          .array(z.enum(['RS256', 'ES256']))
          .min(1)
          .default(['RS256', 'ES256']),
        /** Leeway for exp / nbf / iat. */
        clockSkew: duration.default(GATEWAY_DEFAULTS.jwtClockSkewMs),
      })
      .prefault({}),
    /** The token claim (or API key attribute) that names the caller's tenant; it binds metadata.tenant_id. */
    tenantClaim: z.string().min(1).max(256).default('tenant_id'),
    /** How often key files are checked for changes. */
    reloadInterval: duration.pipe(z.number().int().min(50)).default(GATEWAY_DEFAULTS.authReloadIntervalMs),
  })
  .superRefine((value, ctx) => {
    const needsKeys = value.mode === 'apiKey' || value.mode === 'any';
    const needsJwt = value.mode === 'jwt' || value.mode === 'any';
    if (needsKeys && !value.apiKeys.file && !(value.mode === 'any' && (value.jwt.jwksUrl || value.jwt.keyFile))) {
      ctx.addIssue({ code: 'custom', path: ['apiKeys', 'file'], message: `is required when auth.mode is ${value.mode}` });
    }
    if (needsJwt && !value.jwt.jwksUrl && !value.jwt.keyFile && !(value.mode === 'any' && value.apiKeys.file)) {
      ctx.addIssue({ code: 'custom', path: ['jwt', 'jwksUrl'], message: `jwt.jwksUrl or jwt.keyFile is required when auth.mode is ${value.mode}` });
    }
  })
  .prefault({});

const federation = z
  .strictObject({
    /** HMAC-SHA256 keys for signing forwarded events: a file of `<key id>=<secret>` lines, or a directory whose
     * files each hold one secret (the file name is the key id). Re-read when it changes. */
    keysFile: filePath.optional(),
    /** The key id this gateway signs with; defaults to the first key in the file. */
    signingKeyId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1 to 64 of A-Z a-z 0-9 . _ -')
      .optional(),
    /** Refuse events from peers (events that carry federation metadata) without a valid signature. */
    requireSignatures: z.boolean().default(false),
  })
  .refine((value) => !value.requireSignatures || value.keysFile, {
    message: 'keysFile is required when requireSignatures is true',
    path: ['keysFile'],
  })
  .prefault({});

const tls = z
  .strictObject({
    /** PEM certificate (chain) for the HTTP and gRPC servers; with keyFile, both serve TLS. */
    certFile: filePath.optional(),
    keyFile: filePath.optional(),
    /** PEM CA bundle: gRPC clients must present a certificate it signed (mutual TLS). */
    clientCaFile: filePath.optional(),
    /** How often the files are checked; a renewed certificate is used for new connections. */
    reloadInterval: duration.pipe(z.number().int().min(50)).default(GATEWAY_DEFAULTS.tlsReloadIntervalMs),
  })
  .refine((value) => (value.certFile === undefined) === (value.keyFile === undefined), {
    message: 'certFile and keyFile go together',
    path: ['keyFile'],
  })
  .refine((value) => value.clientCaFile === undefined || value.certFile !== undefined, {
    message: 'clientCaFile needs certFile and keyFile (mutual TLS is TLS first)',
    path: ['clientCaFile'],
  })
  .prefault({});

/** A `nats://` (or `tls://`) server URL. */
const natsUrl = z.string().regex(/^(nats|tls):\/\/[^\s/]+/, 'expected a nats:// or tls:// URL such as nats://nats.nats-system.svc:4222');

/** The event log: `memory` (one process, the default) or a NATS JetStream stream shared by every replica. */
const bus = z
  .strictObject({
    type: z.enum(['memory', 'jetstream']).default('memory'),
    jetstream: z
      .strictObject({
        /** Server URLs; the client fails over between them. */
        urls: z.array(natsUrl).min(1).optional(),
        /** Credentials, each read from a file (a mounted Secret). At most one kind. */
        credentials: z
          .strictObject({
            tokenFile: filePath.optional(),
            user: z.string().min(1).max(256).optional(),
            /** A file holding the user name: instead of `user`, for a user kept in a Secret. */
            userFile: filePath.optional(),
            passwordFile: filePath.optional(),
            /** An NKEY seed (SU...) file. */
            nkeySeedFile: filePath.optional(),
            /** A NATS `.creds` file (user JWT and seed). */
            credsFile: filePath.optional(),
            /** A YAML file with `username` and `password`: the client-auth Secret of an Argo Events EventBus. */
            basicAuthFile: filePath.optional(),
          })
          .prefault({})
          .superRefine((value, ctx) => {
            const user = value.user ?? value.userFile;
            const kinds = [value.tokenFile, user ?? value.passwordFile, value.nkeySeedFile, value.credsFile, value.basicAuthFile].filter(
              (v) => v !== undefined,
            );
            if (kinds.length > 1)
              ctx.addIssue({ code: 'custom', message: 'use one of tokenFile, user/passwordFile, nkeySeedFile, credsFile or basicAuthFile' });
            if (value.user !== undefined && value.userFile !== undefined) {
              ctx.addIssue({ code: 'custom', path: ['userFile'], message: 'give user or userFile, not both' });
            }
            if ((user === undefined) !== (value.passwordFile === undefined)) {
              ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'user (or userFile) and passwordFile go together' });
            }
          }),
        tls: z
          .strictObject({
            /** PEM CA bundle the server certificate must chain to. */
            caFile: filePath.optional(),
            /** Client certificate and key, for servers that require them. */
            certFile: filePath.optional(),
            keyFile: filePath.optional(),
          })
          .prefault({})
          .refine((value) => (value.certFile === undefined) === (value.keyFile === undefined), {
            message: 'certFile and keyFile go together',
            path: ['keyFile'],
          }),
        stream: z
          .strictObject({
            /** Defaults to one derived from the gateway's identity (GATEWAY_ID), so each McpServer has its own. */
            name: z
              .string()
              .regex(/^[A-Za-z0-9_-]{1,200}$/, 'expected 1 to 200 of A-Z a-z 0-9 _ -')
              .optional(),
            /** Subjects are `<subjectPrefix>.events` and `<subjectPrefix>.dlq.<target>`; derived like the name. */
            subjectPrefix: z
              .string()
              .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'expected dot-separated tokens of A-Z a-z 0-9 _ -')
              .optional(),
            /** Copies kept by the JetStream cluster: 1, or 3 (needs a cluster of at least 3 servers). */
            replicas: z.number().int().min(1).max(5).default(GATEWAY_DEFAULTS.streamReplicas),
            storage: z.enum(['file', 'memory']).default('file'),
            /** How long an event stays in the log (replay, catch-up, forwarding backlog). */
            maxAge: duration.pipe(z.number().int().min(1000)).default(GATEWAY_DEFAULTS.streamMaxAgeMs),
            maxBytes: bytes
              .pipe(
                z
                  .number()
                  .int()
                  .min(1024 * 1024),
              )
              .default(GATEWAY_DEFAULTS.streamMaxBytes),
            /** 0 = no count limit (age and bytes still apply). */
            maxMessages: z.number().int().min(0).default(0),
            /** A repeated event_id within this window is answered `duplicate`, whichever replica it reaches. */
            duplicateWindow: duration.pipe(z.number().int().min(100)).default(GATEWAY_DEFAULTS.dedupeTtlMs),
          })
          .prefault({}),
        /** How long ingest waits for the store's acknowledgement before answering 503. */
        publishTimeout: duration.pipe(z.number().int().min(10)).default(GATEWAY_DEFAULTS.publishTimeoutMs),
        /** How long to keep trying to reach NATS at start before giving up (exit 1). */
        connectTimeout: duration.pipe(z.number().int().min(100)).default(GATEWAY_DEFAULTS.natsConnectTimeoutMs),
        /** A forwarding target's events held by a replica before the store redelivers them elsewhere. */
        ackWait: duration.pipe(z.number().int().min(1000)).default(GATEWAY_DEFAULTS.consumerAckWaitMs),
      })
      .optional(),
  })
  .prefault({})
  .superRefine((value, ctx) => {
    if (value.type === 'jetstream' && !value.jetstream?.urls) {
      ctx.addIssue({ code: 'custom', path: ['jetstream', 'urls'], message: 'is required when bus.type is jetstream (NATS_URL)' });
    }
  });

export const gatewayConfigSchema = z
  .strictObject({
    logLevel: z.enum(LOG_LEVELS).default(GATEWAY_DEFAULTS.logLevel),
    server: z
      .strictObject({
        host: z.string().min(1).default(GATEWAY_DEFAULTS.host),
        httpPort: port.default(GATEWAY_DEFAULTS.httpPort),
        grpcPort: port.default(GATEWAY_DEFAULTS.grpcPort),
        healthPort: port.default(GATEWAY_DEFAULTS.healthPort),
        /** CORS for browser clients on the HTTP port; off (no CORS headers) while no origin is listed. */
        cors: z
          .strictObject({
            /** Origins allowed to call the HTTP API from a browser (`https://app.example:8443`), or `*` for any. */
            allowedOrigins: z
              .array(
                z
                  .string()
                  .regex(/^(\*|https?:\/\/[^\s/]+)$/, 'expected * or an origin such as https://app.example (scheme, host, optional port; no path)'),
              )
              .default([]),
            /** How long a browser may cache a preflight answer. */
            maxAge: duration.pipe(z.number().int().min(0)).default(GATEWAY_DEFAULTS.corsMaxAgeMs),
          })
          .prefault({}),
      })
      .prefault({}),
    limits: z
      .strictObject({
        /** Largest accepted event, counted as the bytes of its encoded form. */
        maxEventSize: bytes.pipe(z.number().int().min(256)).default(GATEWAY_DEFAULTS.maxEventSize),
        /** Events accepted but not yet dispatched; when full, ingest answers 429 / RESOURCE_EXHAUSTED. */
        bufferSize: z.number().int().min(1).max(1_000_000).default(GATEWAY_DEFAULTS.bufferSize),
        /** How long ingest waits for room (buffer, forwarding queues) before it answers 429 / RESOURCE_EXHAUSTED; 0 answers at once. */
        admissionWait: duration.pipe(z.number().int().min(0).max(60_000)).default(GATEWAY_DEFAULTS.admissionWaitMs),
        /** Concurrent gRPC streams across all connections. */
        maxConnections: z.number().int().min(1).max(100_000).default(GATEWAY_DEFAULTS.maxConnections),
        /** Events in one POST /api/v1/events/batch. */
        maxBatchSize: z.number().int().min(1).max(10_000).default(GATEWAY_DEFAULTS.maxBatchSize),
        /** Body of one POST /api/v1/events/batch. */
        maxBatchBytes: bytes.pipe(z.number().int().min(1024)).default(GATEWAY_DEFAULTS.maxBatchBytes),
        /** A request whose body has not fully arrived by then is answered 408. */
        requestTimeout: duration.pipe(z.number().int().min(100)).default(GATEWAY_DEFAULTS.requestTimeoutMs),
        /** Events queued for one subscriber before it is cut off as too slow. */
        subscriberQueueSize: z.number().int().min(1).max(1_000_000).default(GATEWAY_DEFAULTS.subscriberQueueSize),
        /** Gateway-wide ingest rate limit; 0 disables it. */
        rateLimit: z
          .strictObject({
            eventsPerSecond: z.number().min(0).default(0),
            burst: z.number().int().min(1).optional(),
          })
          .prefault({}),
        /** Per-client ingest rate limit (keyed by API key id, token subject, or client address); 0 disables it. */
        clientRateLimit: z
          .strictObject({
            eventsPerSecond: z.number().min(0).default(0),
            burst: z.number().int().min(1).optional(),
            /** Clients tracked at once; the least recently seen is forgotten first. */
            maxClients: z.number().int().min(1).max(10_000_000).default(GATEWAY_DEFAULTS.clientRateLimitMaxClients),
          })
          .prefault({}),
      })
      .prefault({}),
    auth,
    federation,
    tls,
    bus,
    history: z
      .strictObject({
        /** Events kept for StreamEvents replay. */
        size: z.number().int().min(0).max(10_000_000).default(GATEWAY_DEFAULTS.historySize),
        /** How long an event stays replayable. */
        retention: duration.default(GATEWAY_DEFAULTS.historyRetentionMs),
      })
      .prefault({}),
    identity: z
      .strictObject({
        /** This gateway's name on forwarding paths; peers refer to it by the same id. */
        id: z.string().min(1).max(256).optional(),
        /** This process (the pod name in Kubernetes): reportingInstance of its Events. */
        instance: z.string().min(1).max(253).optional(),
      })
      .prefault({}),
    /** events.k8s.io Events for dispatched events, for Argo's `resource` EventSource and people. */
    kubernetesEvents: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** API writes per second; beyond it, occurrences are counted into the Event's series. */
        qps: z.number().min(0.1).max(1000).default(10),
        burst: z.number().int().min(1).max(10_000).default(25),
        /** all: an occurrence per dispatched event; failures: dead letters and unreachable peers only. */
        detail: z.enum(['all', 'failures']).default('all'),
        /** The object the Events are about: this gateway's McpServer. */
        regarding: z
          .strictObject({
            apiVersion: z.string().min(1).default('mcp.tas.ai/v1alpha1'),
            kind: z.string().min(1).default('McpServer'),
            name: z.string().min(1).max(253),
            namespace: z.string().min(1).max(63),
            uid: z.string().optional(),
          })
          .optional(),
      })
      .prefault({})
      .refine((events) => !events.enabled || events.regarding !== undefined, {
        message: 'regarding (the McpServer the Events are about: MCP_SERVER_NAME and POD_NAMESPACE) is required when enabled',
        path: ['regarding'],
      }),
    forwarding: z
      .strictObject({
        /** Peers: every accepted event goes to each of them. */
        targets: z.array(target).default([]),
        /** Per-attempt timeout. */
        timeout: duration.pipe(z.number().min(1)).default(GATEWAY_DEFAULTS.forwardTimeoutMs),
        retry: z
          .strictObject({
            maxAttempts: z.number().int().min(1).max(100).default(GATEWAY_DEFAULTS.retryMaxAttempts),
            initialBackoff: duration.default(GATEWAY_DEFAULTS.retryInitialBackoffMs),
            maxBackoff: duration.default(GATEWAY_DEFAULTS.retryMaxBackoffMs),
            retryOn: retryOn.default([...DEFAULT_RETRY_ON]),
          })
          .prefault({}),
        /** Events waiting for one target; overflow is dead-lettered. */
        queueSize: z.number().int().min(1).max(1_000_000).default(GATEWAY_DEFAULTS.targetQueueSize),
        /** Requests in flight to one target. */
        concurrency: z.number().int().min(1).max(1024).default(GATEWAY_DEFAULTS.targetConcurrency),
        /** Batches to targets that take them: as many queued events as fit, never waiting to fill one. */
        batch: z
          .strictObject({
            /** Events per request at most (a receiver that takes fewer answers 413 and gets smaller batches). */
            maxEvents: z.number().int().min(1).max(10_000).default(GATEWAY_DEFAULTS.forwardBatchMaxEvents),
            /** Bytes of events per request at most (an event larger than this goes alone). */
            maxBytes: bytes.pipe(z.number().int().min(1024)).default(GATEWAY_DEFAULTS.forwardBatchMaxBytes),
          })
          .prefault({}),
        /** Forwarding stops once an event has passed this many gateways. */
        maxHops: z.number().int().min(1).max(64).default(GATEWAY_DEFAULTS.maxHops),
        circuitBreaker: z
          .strictObject({
            failureThreshold: z.number().int().min(1).default(GATEWAY_DEFAULTS.breakerFailureThreshold),
            cooldown: duration.default(GATEWAY_DEFAULTS.breakerCooldownMs),
          })
          .prefault({}),
        deadLetter: z
          .strictObject({
            /** Where dead letters are also POSTed (JSON). */
            url: z
              .string()
              .regex(/^https?:\/\/[^\s/]+/, 'expected an http(s) URL')
              .optional(),
            /** Dead letters kept in memory for GET /api/v1/dlq and redrive. */
            maxEntries: z.number().int().min(1).max(1_000_000).default(GATEWAY_DEFAULTS.deadLetterMaxEntries),
          })
          .prefault({}),
        /** Recently seen event ids: an id is dispatched once however many paths bring it. */
        dedupe: z
          .strictObject({
            size: z.number().int().min(0).max(10_000_000).default(GATEWAY_DEFAULTS.dedupeSize),
            ttl: duration.default(GATEWAY_DEFAULTS.dedupeTtlMs),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Routes (McpRoute): matching events to their targets, with their own delivery policy. */
    routes: z.array(route).default([]),
    shutdown: z
      .strictObject({
        /** Time given to deliver queued events after SIGTERM before streams are ended. */
        gracePeriod: duration.default(GATEWAY_DEFAULTS.shutdownGracePeriodMs),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const conflict = conflictingTargets(config.forwarding.targets, config.routes);
    if (conflict) {
      ctx.addIssue({
        code: 'custom',
        path: conflict.second
          .split(/[.[\]]+/)
          .filter(Boolean)
          .map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
        message: `names the same target as ${conflict.first} (${conflict.key}) with other settings (id, batch, tls); a target is one place with one set of settings`,
      });
    }
  });

/** The configuration as written (YAML file, operator rendering): sizes and durations as text. */
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
/** The configuration as the gateway uses it: bytes and milliseconds, defaults filled in. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
