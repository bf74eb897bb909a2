// The gateway's composition root: builds every part from the config and wires them together,
// then owns the lifecycle (start, and a shutdown that drains).
import type { FastifyInstance } from 'fastify';
import { ConfigError, type GatewayConfig } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { createGatewayMetrics, type GatewayMetrics } from '../src/observability/metrics.js';
import { hostname } from 'node:os';
import { EventBus } from './bus/event-bus.js';
import { EventHistory } from './bus/history.js';
import { SubscriberRegistry } from './bus/subscriber-registry.js';
import { Subscriptions } from './bus/subscriptions.js';
import { watchConfig } from './config-reloader.js';
import { DeadLetterSink, DeadLetterStore } from './forwarding/dead-letters.js';
import { Forwarder } from './forwarding/forwarder.js';
import { RecentIds } from './forwarding/recent-ids.js';
import { IngestService } from './ingest/ingest-service.js';
import { createAuthenticator } from './auth/authenticator.js';
import { EventSigning } from './federation/event-signing.js';
import { guardService } from './ingress/grpc/auth-guard.js';
import { ARGO_GENERIC_SERVICE, LEGACY_EVENTING_SERVICE, MCP_SERVICE } from './ingress/grpc/protos.js';
import { createGrpcServer, type GrpcServer } from './ingress/grpc/server.js';
import { createArgoGenericService } from './ingress/grpc/argo-generic-service.js';
import { createLegacyEventingService } from './ingress/grpc/legacy-service.js';
import { createMcpService } from './ingress/grpc/mcp-service.js';
import { createHealthApp, createHttpApp } from './ingress/http/app.js';
import type { KubernetesEvents } from './sinks/kubernetes-events-wiring.js';
import { GatewayStatus } from './status.js';
import { grpcServerCredentials, type TlsFiles } from './tls/server-tls.js';

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
  readonly bus: EventBus;
  readonly forwarder: Forwarder;
  readonly deadLetters: DeadLetterStore;
  start(): Promise<BoundPorts>;
  /** Drains and stops; resolves when everything is closed. Safe to call twice. */
  stop(): Promise<void>;
}

/** How often queued subscriber events are checked while draining. */
const DRAIN_POLL_MS = 20;
/** Time given to the dead-letter sink after the grace period for letters made at its end. */
const DEAD_LETTER_FLUSH_MS = 2000;

export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const log = deps.logger;
  const selfId = config.identity.id ?? `${hostname()}:${config.server.httpPort}`;
  const history = new EventHistory({ size: config.history.size, retentionMs: config.history.retention });
  const registry = new SubscriberRegistry();
  const authenticator = secretsFrom('auth', () =>
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
  const signing = config.federation.keysFile
    ? secretsFrom('federation.keysFile', () =>
        new EventSigning({
          keysFile: config.federation.keysFile!,
          signingKeyId: config.federation.signingKeyId,
          reloadIntervalMs: config.auth.reloadInterval,
          onError: (message) => log.error({ error: message }, 'federation keys changed but cannot be used; keeping the previous ones'),
        }),
      )
    : undefined;
  const deadLetters = new DeadLetterStore(config.forwarding.deadLetter.maxEntries);
  const deadLetterSink = config.forwarding.deadLetter.url ? new DeadLetterSink(config.forwarding.deadLetter.url, log, config.forwarding.deadLetter.maxEntries) : undefined;
  let bus: EventBus;
  let forwarder: Forwarder;
  // Built in start(), and only when enabled: it loads the Kubernetes client.
  let kubeEvents: KubernetesEvents | undefined;
  const metrics = createGatewayMetrics({
    kubernetesEvents: () => kubeEvents?.recorder.stats(),
    bufferDepth: () => bus.depth,
    bufferCapacity: () => bus.capacity,
    subscriberQueueDepth: () => registry.queued(),
    historyEvents: () => history.length,
    subscriberDelivered: () => registry.stats().delivered,
    forwarding: () => forwarder.stats(),
    deadLetterTotals: () => deadLetters.totals,
    deadLettersHeld: () => deadLetters.size,
    rateLimitClients: () => ingest.trackedClients,
  });
  forwarder = new Forwarder({
    selfId,
    logger: log.child({ component: 'forwarder' }),
    deadLetters,
    sign: signing ? (event) => signing.sign(event) : undefined,
    onDeadLetter(letter) {
      log.warn(
        { event_id: letter.event.event_id, target: letter.target, reason: letter.reason, attempts: letter.attempts, lastError: letter.lastError },
        'event dead-lettered',
      );
      deadLetterSink?.send(letter);
      kubeEvents?.sink.deadLettered(letter);
    },
    onCircuitOpened(target, lastError) {
      log.warn({ target, lastError }, 'forwarding target failing: circuit opened');
      kubeEvents?.sink.peerUnreachable(target, lastError);
    },
    onAttempt(target, outcome, seconds) {
      metrics.forwardDuration.observe({ target }, seconds);
      metrics.forwardAttempts.inc({ target, result: outcome });
    },
  });
  forwarder.configure(config);
  bus = new EventBus({
    bufferSize: config.limits.bufferSize,
    sinks: [history, registry, forwarder],
    onDispatched: (count) => metrics.eventsDispatched.inc(count),
  });
  const subscriptions = new Subscriptions({
    registry,
    history,
    maxStreams: config.limits.maxConnections,
    queueSize: config.limits.subscriberQueueSize,
    observer: {
      opened(kind, active) {
        metrics.subscribers.inc({ kind });
        metrics.activeConnections.set({ type: 'grpc_stream' }, active);
      },
      finished(kind, ending, active) {
        metrics.subscribers.dec({ kind });
        metrics.activeConnections.set({ type: 'grpc_stream' }, active);
        if (ending.kind === 'cut_off') {
          metrics.subscribersCutOff.inc({ kind });
          log.warn({ kind, reason: ending.message }, 'subscriber cut off');
        }
      },
      refused(kind, reason) {
        metrics.streamsRefused.inc({ reason });
        log.debug({ kind, reason }, 'stream refused');
      },
    },
  });
  const ingest = new IngestService({
    bus,
    metrics,
    maxEventSize: config.limits.maxEventSize,
    rateLimit: config.limits.rateLimit,
    clientRateLimit: config.limits.clientRateLimit,
    signatures: signing,
    requireSignatures: config.federation.requireSignatures,
    recentIds: new RecentIds(config.forwarding.dedupe.size, config.forwarding.dedupe.ttl),
  });
  const status = new GatewayStatus({
    bus,
    ingest,
    registry,
    subscriptions,
    version: deps.version,
    forwarded: () => forwarder.delivered(),
  });

  const tlsFiles: TlsFiles | undefined =
    config.tls.certFile && config.tls.keyFile
      ? { certFile: config.tls.certFile, keyFile: config.tls.keyFile, clientCaFile: config.tls.clientCaFile, reloadIntervalMs: config.tls.reloadInterval }
      : undefined;

  let httpApp: FastifyInstance | undefined;
  let healthApp: FastifyInstance | undefined;
  let grpcServer: GrpcServer | undefined;
  let historyTimer: NodeJS.Timeout | undefined;
  let stopWatchingConfig: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<BoundPorts> {
    if (config.kubernetesEvents.enabled) {
      const { createKubernetesEvents } = await import('./sinks/kubernetes-events-wiring.js');
      kubeEvents = createKubernetesEvents(config, log);
      if (kubeEvents) bus.addSink(kubeEvents.sink);
    }
    const { host } = config.server;
    httpApp = await createHttpApp({
      ingest,
      status,
      registry: metrics.registry,
      maxEventSize: config.limits.maxEventSize,
      maxBatchSize: config.limits.maxBatchSize,
      maxBatchBytes: config.limits.maxBatchBytes,
      requestTimeoutMs: config.limits.requestTimeout,
      deadLetters,
      forwarder,
      authenticator,
      onAuthFailure: (reason) => metrics.authFailures.inc({ ingress: 'http', reason }),
      tls: tlsFiles && {
        files: tlsFiles,
        onError: (message) => log.error({ error: message }, 'TLS certificate not reloaded'),
        onReload: () => log.info({ certFile: tlsFiles.certFile }, 'TLS certificate reloaded'),
      },
    }).catch((error: Error) => {
      // Unreadable or mismatched certificate files: named like a bad setting.
      throw tlsFiles ? new ConfigError('tls', `cannot serve HTTPS: ${error.message}`) : error;
    });
    healthApp = await createHealthApp({ status, registry: metrics.registry });
    grpcServer = createGrpcServer({
      host,
      port: config.server.grpcPort,
      maxEventSize: config.limits.maxEventSize,
      credentials: tlsFiles && grpcServerCredentials(tlsFiles),
      services: {
        // GetHealth and GetMetrics stay open, like /health and /metrics.
        mcp: guardService(MCP_SERVICE, createMcpService({ ingest, bus, subscriptions, status }), {
          authenticator,
          open: ['GetHealth', 'GetMetrics'],
          onFailure: onGrpcAuthFailure,
        }),
        legacy: guardService(LEGACY_EVENTING_SERVICE, createLegacyEventingService({ ingest, bus, subscriptions }), {
          authenticator,
          onFailure: onGrpcAuthFailure,
        }),
        argoGeneric: guardService(ARGO_GENERIC_SERVICE, createArgoGenericService({ subscriptions }), {
          authenticator,
          onFailure: onGrpcAuthFailure,
        }),
      },
      logger: log,
    });
    historyTimer = setInterval(() => history.expire(), 1000).unref();
    if (deps.configFile) {
      stopWatchingConfig = watchConfig({
        file: deps.configFile,
        env: deps.env ?? process.env,
        initial: config,
        logger: log,
        apply: (next) => forwarder.configure(next),
      });
    }

    const health = await listen(healthApp, host, config.server.healthPort, 'health');
    status.markListening('health');
    const grpc = await grpcServer.listen();
    status.markListening('grpc');
    const http = await listen(httpApp, host, config.server.httpPort, 'http');
    status.markListening('http');

    status.phase = 'ready';
    grpcServer.setServing(true);
    log.info({ http, grpc, health, host, id: selfId, peers: config.forwarding.targets.length, routes: config.routes.length }, 'gateway ready');
    return { http, grpc, health };
  }

  function onGrpcAuthFailure(reason: string): void {
    metrics.authFailures.inc({ ingress: 'grpc', reason });
  }

  async function listen(app: FastifyInstance, host: string, port: number, name: string): Promise<number> {
    try {
      await app.listen({ host, port });
    } catch (error) {
      throw new Error(`${name} server cannot listen on ${host}:${port}: ${(error as Error).message}`);
    }
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  async function drain(): Promise<void> {
    const deadline = Date.now() + config.shutdown.gracePeriod;
    status.phase = 'draining';
    grpcServer?.setServing(false);
    bus.close();
    subscriptions.stopAccepting();
    log.info({ buffered: bus.depth, gracePeriodMs: config.shutdown.gracePeriod }, 'draining: intake closed');

    const timeLeft = () => Math.max(0, deadline - Date.now());
    stopWatchingConfig?.();
    await Promise.race([bus.drained(), sleep(timeLeft())]);
    const subscribersFlushed = (async () => {
      while (registry.queued() > 0 && timeLeft() > 0) await sleep(Math.min(DRAIN_POLL_MS, timeLeft()));
    })();
    // Targets drain beside subscribers; whatever they still hold at the deadline is dead-lettered.
    await Promise.all([subscribersFlushed, forwarder.drain(timeLeft())]);
    // Letters written at the deadline still reach the sink, and the last occurrences their
    // Events: a short extra wait, bounded.
    await Promise.all([
      deadLetterSink?.idle(Math.max(timeLeft(), DEAD_LETTER_FLUSH_MS)),
      kubeEvents?.recorder.close(Math.max(timeLeft(), DEAD_LETTER_FLUSH_MS)),
    ]);
    const undelivered = bus.depth + registry.queued();
    if (undelivered > 0) log.warn({ undelivered }, 'grace period over with events still queued for subscribers');
    registry.finishAll({ kind: 'shutdown', message: 'the gateway is shutting down; reconnect to another instance' });

    clearInterval(historyTimer);
    authenticator.close();
    signing?.close();
    await Promise.all([
      httpApp?.close(),
      healthApp?.close(),
      grpcServer?.close(Math.max(1000, timeLeft())),
    ]);
    status.phase = 'stopped';
    log.info(status.counts(), 'gateway stopped');
  }

  return {
    status,
    metrics,
    bus,
    forwarder,
    deadLetters,
    start,
    stop() {
      stopping ??= drain();
      return stopping;
    },
  };
}

/** Secrets are read at start-up: one that is missing or unusable stops the gateway like a bad setting. */
function secretsFrom<T>(setting: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    throw new ConfigError(setting, (error as Error).message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
