// The gateway's composition root: builds every part from the config (assemble), then owns the
// lifecycle: start (the log, the sinks that need it, the servers) and a shutdown that drains.
import type { FastifyInstance } from 'fastify';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { ConfigError, type GatewayConfig } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import { watchConfig } from './config-reloader.js';
import { EventSigning } from './federation/event-signing.js';
import { loadClientTls } from './forwarding/client-tls.js';
import { DeadLetterSink, type DeadLetters } from './forwarding/dead-letters.js';
import { Forwarder } from './forwarding/forwarder.js';
import { routeFromBody, RuntimeTargets } from './forwarding/runtime-targets.js';
import { IngestService } from './ingest/ingest-service.js';
import { createArgoGenericService } from './ingress/grpc/argo-generic-service.js';
import { guardService } from './ingress/grpc/auth-guard.js';
import { createLegacyEventingService } from './ingress/grpc/legacy-service.js';
import { createMcpService } from './ingress/grpc/mcp-service.js';
import { ARGO_GENERIC_SERVICE, LEGACY_EVENTING_SERVICE, MCP_SERVICE } from './wire/protos.js';
import { createGrpcServer, type GrpcServer } from './ingress/grpc/server.js';
import { createHealthApp, createHttpApp } from './ingress/http/app.js';
import { createEventLog, type LogParts } from './log-parts.js';
import type { EventLog } from './log/event-log.js';
import { createGatewayMetrics, ingestMetrics, type GatewayMetrics } from './metrics.js';
import { forwardingObserver, subscriptionObserver, type ForwardingReports } from './observers.js';
import type { KubernetesEvents } from './sinks/kubernetes-events-wiring.js';
import { GatewayStatus } from './status.js';
import { SubscriberRegistry } from './subscribers/subscriber-registry.js';
import { Subscriptions } from './subscribers/subscriptions.js';
import { grpcServerCredentials, type TlsFiles } from './tls/server-tls.js';
import { loadGatewayTracing, type GatewayTracing } from './tracing/load.js';

export interface GatewayDeps {
  logger: Logger;
  version: string;
  /** The config file to watch for live changes (peers, routes); none when configured by env only. */
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface BoundPorts {
  http: number;
  grpc: number;
  health: number;
}

export interface Gateway {
  readonly status: GatewayStatus;
  readonly metrics: GatewayMetrics;
  readonly log: EventLog;
  readonly forwarder: Forwarder;
  readonly deadLetters: DeadLetters;
  start(): Promise<BoundPorts>;
  /** Drains and stops; resolves when everything is closed. Safe to call twice. */
  stop(): Promise<void>;
}

/** How often queued subscriber events are checked while draining. */
const DRAIN_POLL_MS = 20;
/** Time given to the dead-letter sink after the grace period for letters made at its end. */
const DEAD_LETTER_FLUSH_MS = 2000;
/** Time given to export the spans still queued at shutdown. */
const TRACE_FLUSH_MS = 5000;

/** Every part of a gateway, built and wired, before anything listens or connects. */
interface Parts {
  logParts: LogParts;
  registry: SubscriberRegistry;
  subscriptions: Subscriptions;
  ingest: IngestService;
  forwarder: Forwarder;
  targets: RuntimeTargets;
  metrics: GatewayMetrics;
  status: GatewayStatus;
  authenticator: Authenticator;
  signing: EventSigning | undefined;
  deadLetterSink: DeadLetterSink | undefined;
  /** Built at start, and only when enabled: it loads the Kubernetes client. */
  kube: { events?: KubernetesEvents };
  selfId: string;
  instance: string;
  /** Spans, when the OTEL_* variables turn tracing on. */
  tracing: GatewayTracing | undefined;
}

export async function createGateway(config: GatewayConfig, deps: GatewayDeps): Promise<Gateway> {
  const parts = await assemble(config, deps);
  return lifecycle(config, deps, parts);
}

async function assemble(config: GatewayConfig, deps: GatewayDeps): Promise<Parts> {
  const log = deps.logger;
  const instance = config.identity.instance ?? hostname();
  const selfId = config.identity.id ?? `${hostname()}:${config.server.httpPort}`;
  checkTargetTls(config);
  const tracing = await loadGatewayTracing({ env: deps.env ?? process.env, version: deps.version, gatewayId: selfId, instance });
  const logParts = await createEventLog(config, log, instance);
  const eventLog = logParts.log;
  const { authenticator, signing } = await security(config, log);
  const deadLetterSink = config.forwarding.deadLetter.url
    ? new DeadLetterSink(config.forwarding.deadLetter.url, log, config.forwarding.deadLetter.maxEntries)
    : undefined;
  const kube: Parts['kube'] = {};
  const registry = new SubscriberRegistry();
  eventLog.addSink(tracing ? tracing.dispatch(registry, () => registry.size) : registry);

  // Gauges are read at scrape time, after every part below exists.
  const metrics = createGatewayMetrics({
    log: () => eventLog.state(),
    kubernetesEvents: () => kube.events?.recorder.stats(),
    subscriberQueueDepth: () => registry.queued(),
    subscribersReading: () => registry.stats().reading,
    historyEvents: () => eventLog.state().held,
    subscriberDelivered: () => registry.stats().delivered,
    forwarding: () => forwarder.stats(),
    deadLetterTotals: () => logParts.deadLetters.totals,
    deadLettersHeld: () => logParts.deadLettersHeld(),
    rateLimitClients: () => ingest.trackedClients,
  });
  const reports: ForwardingReports = {
    deadLettered: (letter) => {
      deadLetterSink?.send(letter);
      kube.events?.sink.deadLettered(letter);
    },
    peerUnreachable: (target, lastError) => kube.events?.sink.peerUnreachable(target, lastError),
  };
  const forwarder = new Forwarder({
    selfId,
    logger: log.child({ component: 'forwarder' }),
    log: eventLog,
    deadLetters: logParts.deadLetters,
    sign: signing ? (event) => signing.sign(event) : undefined,
    // Held events are renewed well within the log's acknowledgement wait.
    holdIntervalMs: config.bus.jetstream ? Math.max(250, Math.floor(config.bus.jetstream.ackWait / 3)) : undefined,
    ...forwardingObserver(metrics, log, () => reports),
    traceSender: tracing && ((sender, target) => tracing.forwarding(sender, target, signing ? (event) => signing.sign(event) : undefined)),
  });
  forwarder.configure(config);
  const targets = new RuntimeTargets({
    config,
    origin: deps.configFile ? { kind: 'file', path: deps.configFile } : { kind: 'environment' },
    apply: (next) => forwarder.configure(next),
    routeFromBody,
  });
  const subscriptions = new Subscriptions({
    registry,
    log: eventLog,
    maxStreams: config.limits.maxConnections,
    queueSize: config.limits.subscriberQueueSize,
    idPrefix: instance,
    observer: subscriptionObserver(metrics, log),
  });
  const ingest = new IngestService({
    log: eventLog,
    observer: ingestMetrics(metrics),
    maxEventSize: config.limits.maxEventSize,
    rateLimit: config.limits.rateLimit,
    clientRateLimit: config.limits.clientRateLimit,
    signatures: signing,
    requireSignatures: config.federation.requireSignatures,
    tracer: tracing?.ingest,
    admissionWaitMs: config.limits.admissionWait,
  });
  const status = new GatewayStatus({
    log: eventLog,
    ingest,
    registry,
    subscriptions,
    version: deps.version,
    forwarded: () => forwarder.delivered(),
  });
  return {
    logParts,
    registry,
    subscriptions,
    ingest,
    forwarder,
    targets,
    metrics,
    status,
    authenticator,
    signing,
    deadLetterSink,
    kube,
    selfId,
    instance,
    tracing,
  };
}

/** Authentication and federation signing; keys are read now, and a missing one is a bad setting. */
async function security(config: GatewayConfig, log: Logger): Promise<{ authenticator: Authenticator; signing: EventSigning | undefined }> {
  const authenticator = await secretsFrom('auth', () =>
    createAuthenticator(
      {
        mode: config.auth.mode,
        apiKeysFile: config.auth.apiKeys.file,
        jwt: { ...config.auth.jwt, clockSkewMs: config.auth.jwt.clockSkew },
        tenantClaim: config.auth.tenantClaim,
        reloadIntervalMs: config.auth.reloadInterval,
        acceptPeers: config.federation.keysFile !== undefined,
      },
      log.child({ component: 'auth' }),
    ),
  );
  const keysFile = config.federation.keysFile;
  const signing = keysFile
    ? secretsFrom(
        'federation.keysFile',
        () =>
          new EventSigning({
            keysFile,
            signingKeyId: config.federation.signingKeyId,
            reloadIntervalMs: config.auth.reloadInterval,
            onError: (message) => log.error({ error: message }, 'federation keys changed but cannot be used; keeping the previous ones'),
          }),
      )
    : undefined;
  return { authenticator, signing };
}

function lifecycle(config: GatewayConfig, deps: GatewayDeps, parts: Parts): Gateway {
  const log = deps.logger;
  const { logParts, registry, subscriptions, ingest, forwarder, targets, metrics, status, authenticator, signing, deadLetterSink, kube, tracing } =
    parts;
  const eventLog = logParts.log;
  const tlsFiles: TlsFiles | undefined =
    config.tls.certFile && config.tls.keyFile
      ? {
          certFile: config.tls.certFile,
          keyFile: config.tls.keyFile,
          clientCaFile: config.tls.clientCaFile,
          reloadIntervalMs: config.tls.reloadInterval,
        }
      : undefined;
  const servers: { http?: FastifyInstance; health?: FastifyInstance; grpc?: GrpcServer; stopWatchingConfig?: () => void } = {};
  let stopping: Promise<void> | undefined;
  // Aborted as the drain begins: long-lived calls that only answer (IngestEventBatchStream) end.
  const shuttingDown = new AbortController();
  setMaxListeners(0, shuttingDown.signal);

  const onGrpcAuthFailure = (reason: string) => metrics.authFailures.inc({ ingress: 'grpc', reason });

  async function startKubernetesEvents(): Promise<void> {
    if (!config.kubernetesEvents.enabled) return;
    const { createKubernetesEvents } = await import('./sinks/kubernetes-events-wiring.js');
    const events = createKubernetesEvents(config, log);
    if (!events) return;
    kube.events = events;
    // Once per event across replicas: one shared consumer writes them, whichever replica holds it.
    eventLog.consumeShared(
      'kubernetes-events',
      (envelope, ticket) => {
        events.sink.dispatch(envelope);
        ticket.settle();
      },
      { maxHeld: 1024, description: 'Kubernetes Events about dispatched events' },
    );
  }

  async function start(): Promise<BoundPorts> {
    await startKubernetesEvents();
    // Connects and sets up the shared consumers before anything listens: no event is taken before they exist.
    await eventLog.start();
    eventLog.onConnectionChange((connected) => servers.grpc?.setServing(connected && status.phase === 'ready'));
    const { host } = config.server;
    // A batch that could never fit the buffer would be refused forever as "full, retry later".
    const maxBatchSize = Math.min(config.limits.maxBatchSize, config.limits.bufferSize);
    servers.http = await createHttpApp({
      ingest,
      subscriptions,
      status,
      registry: metrics.registry,
      maxEventSize: config.limits.maxEventSize,
      maxBatchSize,
      maxBatchBytes: config.limits.maxBatchBytes,
      requestTimeoutMs: config.limits.requestTimeout,
      deadLetters: logParts.deadLetters,
      forwarder,
      targets,
      authenticator,
      onAuthFailure: (reason) => metrics.authFailures.inc({ ingress: 'http', reason }),
      onRejectedBody: (reason) => ingest.countRejectedBody('http', reason),
      cors: { allowedOrigins: config.server.cors.allowedOrigins, maxAgeMs: config.server.cors.maxAge },
      tls: tlsFiles && {
        files: tlsFiles,
        onError: (message) => log.error({ error: message }, 'TLS certificate not reloaded'),
        onReload: () => log.info({ certFile: tlsFiles.certFile }, 'TLS certificate reloaded'),
      },
    }).catch((error: Error) => {
      // Unreadable or mismatched certificate files: named like a bad setting.
      throw tlsFiles ? new ConfigError('tls', `cannot serve HTTPS: ${error.message}`) : error;
    });
    servers.health = await createHealthApp({ status, registry: metrics.registry });
    servers.grpc = createGrpcServer({
      host,
      port: config.server.grpcPort,
      maxEventSize: config.limits.maxEventSize,
      maxBatchBytes: config.limits.maxBatchBytes,
      credentials: tlsFiles && grpcServerCredentials(tlsFiles),
      services: {
        // GetHealth and GetMetrics stay open, like /health and /metrics.
        mcp: guardService(MCP_SERVICE, createMcpService({ ingest, subscriptions, status, maxBatchSize, shutdown: shuttingDown.signal }), {
          authenticator,
          open: ['GetHealth', 'GetMetrics'],
          answerStreams: ['IngestEventBatchStream'],
          onFailure: onGrpcAuthFailure,
        }),
        legacy: guardService(LEGACY_EVENTING_SERVICE, createLegacyEventingService({ ingest, subscriptions }), {
          authenticator,
          onFailure: onGrpcAuthFailure,
        }),
        argoGeneric: guardService(ARGO_GENERIC_SERVICE, createArgoGenericService({ subscriptions, cursors: logParts.cursors, log: eventLog }), {
          authenticator,
          onFailure: onGrpcAuthFailure,
        }),
      },
      logger: log,
    });
    if (deps.configFile) {
      servers.stopWatchingConfig = watchConfig({
        file: deps.configFile,
        env: deps.env ?? process.env,
        initial: config,
        logger: log,
        apply: (next) => forwarder.configure(next),
      });
    }

    const health = await listen(servers.health, host, config.server.healthPort, 'health');
    status.markListening('health');
    const grpc = await servers.grpc.listen();
    status.markListening('grpc');
    const http = await listen(servers.http, host, config.server.httpPort, 'http');
    status.markListening('http');

    status.phase = 'ready';
    servers.grpc.setServing(eventLog.accepting);
    const { kind, name } = eventLog.state();
    log.info(
      {
        http,
        grpc,
        health,
        host,
        id: parts.selfId,
        log: kind === 'memory' ? 'memory' : `jetstream ${name}`,
        peers: config.forwarding.targets.length,
        routes: config.routes.length,
        tracing: tracing ? tracing.endpoint : 'off',
      },
      'gateway ready',
    );
    return { http, grpc, health };
  }

  async function listen(app: FastifyInstance, host: string, port: number, name: string): Promise<number> {
    try {
      await app.listen({ host, port });
    } catch (error) {
      throw new Error(`${name} server cannot listen on ${host}:${port}: ${(error as Error).message}`, { cause: error });
    }
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async function drain(): Promise<void> {
    const deadline = Date.now() + config.shutdown.gracePeriod;
    const timeLeft = () => Math.max(0, deadline - Date.now());
    status.phase = 'draining';
    servers.grpc?.setServing(false);
    shuttingDown.abort();
    eventLog.close();
    subscriptions.stopAccepting();
    log.info({ pending: eventLog.state().pending, gracePeriodMs: config.shutdown.gracePeriod }, 'draining: intake closed');

    servers.stopWatchingConfig?.();
    await Promise.race([eventLog.drained(), sleep(timeLeft())]);
    const subscribersFlushed = (async () => {
      while (registry.queued() > 0 && timeLeft() > 0) await sleep(Math.min(DRAIN_POLL_MS, timeLeft()));
    })();
    // Targets drain beside subscribers; whatever they still hold at the deadline goes back to the
    // shared log for another replica, or (memory log) is dead-lettered.
    await Promise.all([subscribersFlushed, forwarder.drain(timeLeft())]);
    // Letters written at the deadline still reach the sink, and the last occurrences their
    // Events: a short extra wait, bounded.
    await Promise.all([
      deadLetterSink?.idle(Math.max(timeLeft(), DEAD_LETTER_FLUSH_MS)),
      kube.events?.recorder.close(Math.max(timeLeft(), DEAD_LETTER_FLUSH_MS)),
    ]);
    const undelivered = eventLog.state().pending + registry.queued();
    if (undelivered > 0) log.warn({ undelivered }, 'grace period over with events still queued for subscribers');
    registry.finishAll({ kind: 'shutdown', message: 'the gateway is shutting down; reconnect to another instance' });

    authenticator.close();
    signing?.close();
    await Promise.all([servers.http?.close(), servers.health?.close(), servers.grpc?.close(Math.max(1000, timeLeft()))]);
    await eventLog.stop();
    logParts.close();
    // The spans of the drain itself go too (bounded like the dead-letter flush).
    await tracing?.shutdown(Math.max(timeLeft(), TRACE_FLUSH_MS));
    status.phase = 'stopped';
    log.info(status.counts(), 'gateway stopped');
  }

  return {
    status,
    metrics,
    log: eventLog,
    forwarder,
    deadLetters: logParts.deadLetters,
    start,
    stop() {
      stopping ??= drain();
      return stopping;
    },
  };
}

/** TLS files of forwarding targets are read at start-up too (a reload that names unreadable ones dead-letters that target's events, naming the file). */
function checkTargetTls(config: GatewayConfig): void {
  const named = [
    ...config.forwarding.targets.map((target, i) => ({ target, path: `forwarding.targets[${i}]` })),
    ...config.routes.flatMap((route, r) => route.targets.map((target, i) => ({ target, path: `routes[${r}].targets[${i}]` }))),
  ];
  for (const { target, path } of named) secretsFrom(path, () => loadClientTls(target.tls));
}

/** Secrets are read at start-up: one that is missing or unusable stops the gateway like a bad setting. */
function secretsFrom<T>(setting: string, create: () => T): T {
  const failed = (error: unknown): never => {
    throw new ConfigError(setting, (error as Error).message);
  };
  try {
    const created = create();
    return (created instanceof Promise ? created.catch(failed) : created) as T;
  } catch (error) {
    return failed(error);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
