// The operator's composition root (controller-runtime's manager): the shared informers, the
// writers, the McpServer and McpRoute controllers (each declares its own watches and indexes in
// controllers/), leader election, the Event recorder, /healthz, /readyz and /metrics, and the
// federation map (federation-map/) when MAP_PORT is set.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { Applier } from '../src/kube/apply.js';
import { createKubeClients, isNotFound } from '../src/kube/client.js';
import { createControllerMetrics } from '../src/kube/controller-metrics.js';
import { EventRecorder, createEventsApiWriter } from '../src/kube/event-recorder.js';
import { Informer, withoutManagedFields } from '../src/kube/informer.js';
import { LeaderElector, createLeaseStore } from '../src/kube/leader-election.js';
import { createApiListWatchSource } from '../src/kube/list-watch-source.js';
import { SharedInformers } from '../src/kube/shared-informers.js';
import type { Logger } from '../src/observability/logger.js';
import { routeInformer, serverInformer, type ControllerEnv } from './controllers/context.js';
import { setUpMcpRouteController } from './controllers/mcp-route.js';
import { setUpMcpServerController, type SecretVersions } from './controllers/mcp-server.js';
import { createFederationMap, type FederationMap } from './federation-map/federation-map.js';
import { serviceMetricsUrls } from './federation-map/metrics-urls.js';
import type { GatewayMetricsUrls } from './federation-map/scraper.js';
import { createServerEventsReader } from './federation-map/server-events.js';
import type { OperatorSettings } from './settings.js';

export const FIELD_MANAGER = 'tas-mcp-operator';
export const REPORTING_CONTROLLER = 'mcp.tas.ai/operator';

export interface OperatorDeps {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Called when this replica loses the leader Lease: the process should exit and restart. */
  onLostLeadership: () => void;
  /** Where the federation map reads each server's gateway metrics; default: its Service's health port. */
  gatewayMetricsUrls?: GatewayMetricsUrls;
  /** Wraps each reconcile with a span (tracing on, operator/tracing). */
  traceReconcile?: ControllerEnv['traceReconcile'];
}

export interface Operator {
  /** Starts health, the federation map (when MAP_PORT is set) and leader election; controllers start once this replica leads. */
  start(): Promise<{ healthPort: number; mapPort?: number }>;
  stop(): Promise<void>;
  readonly registry: Registry;
  isLeading(): boolean;
}

export function createOperator(settings: OperatorSettings, deps: OperatorDeps): Operator {
  const { kubeConfig, logger } = deps;
  const clients = createKubeClients(kubeConfig);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const controllerMetrics = createControllerMetrics(registry);

  const informers = new SharedInformers(
    <T extends KubernetesObject>(resource: Parameters<typeof createApiListWatchSource>[2], request: { labelSelector?: string | undefined }) =>
      new Informer<T>({
        resource,
        source: createApiListWatchSource<T>(kubeConfig, clients.objects, resource),
        namespaces: settings.WATCH_NAMESPACES,
        transform: withoutManagedFields,
        logger,
        ...(request.labelSelector ? { labelSelector: request.labelSelector } : {}),
      }),
  );
  const recorder = new EventRecorder({
    writer: createEventsApiWriter(clients.events),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: settings.POD_NAME,
    qps: settings.EVENTS_QPS,
    burst: settings.EVENTS_BURST,
  });
  const env: ControllerEnv = {
    informers,
    applier: new Applier({ client: clients.objects, fieldManager: FIELD_MANAGER }),
    objects: clients.objects,
    recorder,
    logger,
    metrics: controllerMetrics.hooks,
    clusterDomain: settings.CLUSTER_DOMAIN,
    reconcileTimeoutMs: settings.RECONCILE_TIMEOUT,
    traceReconcile: deps.traceReconcile,
  };
  const secretVersions: SecretVersions = async (namespace, names, signal) => {
    const entries = await Promise.all(
      names.map(async (name) => {
        signal.throwIfAborted();
        try {
          return [name, (await clients.core.readNamespacedSecret({ name, namespace })).metadata?.resourceVersion] as const;
        } catch (error) {
          if (isNotFound(error)) return [name, undefined] as const;
          throw error;
        }
      }),
    );
    return Object.fromEntries(entries);
  };
  const controllers = [
    setUpMcpServerController(env, {
      workers: settings.WORKERS,
      secretVersions,
      secretRecheckMs: settings.SECRET_RECHECK,
      eventBusRecheckMs: settings.EVENTBUS_RECHECK,
      defaultImage: settings.GATEWAY_IMAGE,
    }),
    setUpMcpRouteController(env),
  ];
  for (const controller of controllers) controllerMetrics.observeQueue(controller.queue);
  const federationMap: FederationMap | undefined =
    settings.MAP_PORT === undefined
      ? undefined
      : createFederationMap(
          {
            host: settings.BIND_HOST,
            port: settings.MAP_PORT,
            scrapeIntervalMs: settings.MAP_SCRAPE_INTERVAL,
            scrapeTimeoutMs: settings.MAP_SCRAPE_TIMEOUT,
            maxServers: settings.MAP_MAX_SERVERS,
            maxClients: settings.MAP_MAX_CLIENTS,
          },
          {
            servers: serverInformer(env),
            routes: routeInformer(env),
            metricsUrls: deps.gatewayMetricsUrls ?? serviceMetricsUrls(settings.CLUSTER_DOMAIN),
            events: createServerEventsReader(clients.objects, { limit: 20, timeoutMs: 5_000 }),
            logger,
          },
        );

  let leading = false;
  let controllersStarted: Promise<void> | undefined;
  const startControllers = () => {
    leading = true;
    controllersStarted ??= Promise.all(controllers.map((controller) => controller.start())).then(() => {
      logger.info({ namespaces: settings.WATCH_NAMESPACES.length ? settings.WATCH_NAMESPACES : 'all' }, 'controllers running');
    });
    controllersStarted.catch((error: unknown) => logger.error({ err: error }, 'controllers failed to start'));
  };
  const elector = settings.LEADER_ELECT
    ? new LeaderElector({
        store: createLeaseStore(clients.coordination),
        namespace: settings.leaseNamespace,
        name: settings.LEADER_ELECTION_ID,
        identity: `${settings.POD_NAME}_${process.pid}`,
        leaseDurationMs: settings.LEASE_DURATION,
        renewDeadlineMs: settings.RENEW_DEADLINE,
        retryPeriodMs: settings.RETRY_PERIOD,
        onStartedLeading: startControllers,
        onStoppedLeading: () => {
          if (!leading) return;
          leading = false;
          logger.warn('lost the leader Lease; stopping');
          deps.onLostLeadership();
        },
        logger,
      })
    : undefined;

  let health: FastifyInstance | undefined;
  let stopping: Promise<void> | undefined;

  return {
    registry,
    isLeading: () => leading,
    async start() {
      health = Fastify({ logger: false });
      health.get('/healthz', async () => ({ status: 'ok' }));
      health.get('/readyz', async (_request, reply) => {
        // A standby is ready (it waits for the Lease); a leader once its caches are in.
        const ready = stopping === undefined && (!leading || informers.hasSynced());
        return reply.code(ready ? 200 : 503).send({ ready, leading });
      });
      health.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
      await health.listen({ host: settings.BIND_HOST, port: settings.HEALTH_PORT });
      const address = health.server.address();
      const healthPort = typeof address === 'object' && address ? address.port : settings.HEALTH_PORT;
      const mapPort = federationMap ? (await federationMap.start()).port : undefined;
      if (elector) void elector.run();
      else startControllers();
      logger.info({ healthPort, mapPort, leaderElection: Boolean(elector), identity: settings.POD_NAME }, 'operator started');
      return mapPort === undefined ? { healthPort } : { healthPort, mapPort };
    },
    stop() {
      stopping ??= (async () => {
        await federationMap?.stop();
        await Promise.all(controllers.map((controller) => controller.stop()));
        informers.stop();
        await recorder.close(2000);
        await elector?.stop();
        await health?.close();
        logger.info('operator stopped');
      })();
      return stopping;
    },
  };
}
