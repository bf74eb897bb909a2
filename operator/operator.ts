// The operator's composition root: informers, the McpServer and McpRoute controllers, leader
// election, the Event recorder, and /healthz, /readyz and /metrics.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { McpRoute, McpServer } from '../src/api/index.js';
import { Applier } from '../src/kube/apply.js';
import { createKubeClients, isNotFound, objectKey } from '../src/kube/client.js';
import { Controller, onlyStatusChanged } from '../src/kube/controller.js';
import { createControllerMetrics } from '../src/kube/controller-metrics.js';
import { EventRecorder, createEventsApiWriter } from '../src/kube/event-recorder.js';
import { Informer, withoutManagedFields } from '../src/kube/informer.js';
import { LeaderElector, createLeaseStore } from '../src/kube/leader-election.js';
import { createApiListWatchSource, type ResourceDescriptor } from '../src/kube/list-watch-source.js';
import type { Logger } from '../src/observability/logger.js';
import { MANAGED_BY } from './render/names.js';
import { createMcpRouteReconciler } from './reconcile/mcp-route-reconciler.js';
import { createMcpServerReconciler, routeContext } from './reconcile/mcp-server-reconciler.js';
import { referencedPeerKeys } from './resolve/peers.js';
import { attachedServerKeys, referencedTargetKeys } from './resolve/routes.js';
import { CHILD_RESOURCES, MCP_ROUTE, MCP_SERVER, type ChildKind } from './resources.js';
import type { OperatorSettings } from './settings.js';

export const FIELD_MANAGER = 'tas-mcp-operator';
export const REPORTING_CONTROLLER = 'mcp.tas.ai/operator';

export interface OperatorDeps {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Called when this replica loses the leader Lease: the process should exit and restart. */
  onLostLeadership: () => void;
}

export interface Operator {
  /** Starts health and leader election; controllers start once this replica leads. */
  start(): Promise<{ healthPort: number }>;
  stop(): Promise<void>;
  readonly registry: Registry;
  isLeading(): boolean;
}

const keyOf = (object: { metadata?: { namespace?: string | undefined; name?: string | undefined } }) =>
  objectKey(object.metadata?.namespace, object.metadata?.name ?? '');

export function createOperator(settings: OperatorSettings, deps: OperatorDeps): Operator {
  const { kubeConfig, logger } = deps;
  const clients = createKubeClients(kubeConfig);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const controllerMetrics = createControllerMetrics(registry);

  const informer = <T extends KubernetesObject>(resource: ResourceDescriptor, labelSelector?: string) =>
    new Informer<T>({
      resource,
      source: createApiListWatchSource<T>(kubeConfig, clients.objects, resource),
      namespaces: settings.WATCH_NAMESPACES,
      transform: withoutManagedFields,
      logger,
      ...(labelSelector ? { labelSelector } : {}),
    });

  const servers = informer<McpServer & KubernetesObject>(MCP_SERVER);
  servers.addIndex('peers', (server) => referencedPeerKeys(server));
  const routes = informer<McpRoute & KubernetesObject>(MCP_ROUTE);
  routes.addIndex('targets', (route) => referencedTargetKeys(route));
  routes.addIndex('server', (route) => (route.spec.serverRef ? [objectKey(route.metadata.namespace, route.spec.serverRef.name)] : []));
  const children = Object.fromEntries(
    Object.entries(CHILD_RESOURCES).map(([kind, resource]) => [kind, informer(resource, `app.kubernetes.io/managed-by=${MANAGED_BY}`)]),
  ) as Record<ChildKind, Informer<KubernetesObject>>;

  const applier = new Applier({ client: clients.objects, fieldManager: FIELD_MANAGER });
  const recorder = new EventRecorder({
    writer: createEventsApiWriter(clients.events),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: settings.POD_NAME,
    qps: settings.EVENTS_QPS,
    burst: settings.EVENTS_BURST,
  });
  const context = routeContext(servers, settings.CLUSTER_DOMAIN);

  const serverController = new Controller({
    name: 'mcpserver',
    workers: settings.WORKERS,
    metrics: controllerMetrics.hooks,
    logger,
    reconcile: createMcpServerReconciler({
      servers,
      routes,
      children,
      applier,
      objects: clients.objects,
      recorder,
      secretRecheckMs: settings.SECRET_RECHECK,
      secretVersions: async (namespace, names) => {
        const entries = await Promise.all(
          names.map(async (name) => {
            try {
              return [name, (await clients.core.readNamespacedSecret({ name, namespace })).metadata?.resourceVersion] as const;
            } catch (error) {
              if (isNotFound(error)) return [name, undefined] as const;
              throw error;
            }
          }),
        );
        return Object.fromEntries(entries);
      },
      defaultImage: settings.GATEWAY_IMAGE,
      clusterDomain: settings.CLUSTER_DOMAIN,
      logger,
    }),
  })
    // A server changed: itself, the servers peering with it, and the servers whose routes target it.
    .watch(
      servers,
      (server) => [
        keyOf(server),
        ...servers.keysByIndex('peers', keyOf(server)),
        ...routes.byIndex('targets', keyOf(server)).flatMap((route) => attachedServerKeys(route, context)),
      ],
      { ignoreUpdate: onlyStatusChanged },
    )
    // A route changed: the servers it attaches to (for an update, before and after).
    .watch(routes, (route) => attachedServerKeys(route, context), { ignoreUpdate: onlyStatusChanged });
  for (const child of Object.values(children)) serverController.watchOwned(child, { apiVersion: MCP_SERVER.apiVersion, kind: 'McpServer' });
  controllerMetrics.observeQueue(serverController.queue);

  const routeController = new Controller({
    name: 'mcproute',
    workers: 1,
    metrics: controllerMetrics.hooks,
    logger,
    reconcile: createMcpRouteReconciler({ routes, servers, applier, clusterDomain: settings.CLUSTER_DOMAIN }),
  })
    .watch(routes, undefined, { ignoreUpdate: onlyStatusChanged })
    // A server changed: routes naming it as their server or target, and selector routes beside it.
    .watch(
      servers,
      (server) => [
        ...routes.keysByIndex('server', keyOf(server)),
        ...routes.keysByIndex('targets', keyOf(server)),
        ...routes.list(server.metadata.namespace).filter((r) => r.spec.serverSelector).map(keyOf),
      ],
      { ignoreUpdate: onlyStatusChanged },
    );
  controllerMetrics.observeQueue(routeController.queue);

  let leading = false;
  let controllersStarted: Promise<void> | undefined;
  const startControllers = () => {
    leading = true;
    controllersStarted ??= Promise.all([serverController.start(), routeController.start()]).then(() => {
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
  const synced = () => [servers, routes, ...Object.values(children)].every((i) => i.hasSynced());

  return {
    registry,
    isLeading: () => leading,
    async start() {
      health = Fastify({ logger: false });
      health.get('/healthz', async () => ({ status: 'ok' }));
      health.get('/readyz', async (_request, reply) => {
        // A standby is ready (it waits for the Lease); a leader once its caches are in.
        const ready = stopping === undefined && (!leading || synced());
        return reply.code(ready ? 200 : 503).send({ ready, leading });
      });
      health.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
      await health.listen({ host: settings.BIND_HOST, port: settings.HEALTH_PORT });
      const address = health.server.address();
      const healthPort = typeof address === 'object' && address ? address.port : settings.HEALTH_PORT;
      if (elector) void elector.run();
      else startControllers();
      logger.info({ healthPort, leaderElection: Boolean(elector), identity: settings.POD_NAME }, 'operator started');
      return { healthPort };
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all([serverController.stop(), routeController.stop()]);
        for (const i of [servers, routes, ...Object.values(children)]) i.stop();
        await recorder.close(2000);
        await elector?.stop();
        await health?.close();
        logger.info('operator stopped');
      })();
      return stopping;
    },
  };
}
