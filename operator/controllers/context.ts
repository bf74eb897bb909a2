// What every controller is set up with: the process's shared informers, the writers, and the
// settings they read. Each controller's setUp function (mcp-server.ts, mcp-route.ts) takes this
// and declares, beside its reconcile, the kinds it reads, the indexes it needs and its watches.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { McpRoute, McpServer } from '../../src/api/index.js';
import type { Applier } from '../../src/kube/apply.js';
import type { Reconcile } from '../../src/kube/controller.js';
import type { EventRecorder } from '../../src/kube/event-recorder.js';
import type { Informer } from '../../src/kube/informer.js';
import type { KubeObjectClient } from '../../src/kube/object-client.js';
import type { SharedInformers } from '../../src/kube/shared-informers.js';
import type { WorkQueueMetrics } from '../../src/kube/work-queue.js';
import type { Logger } from '../../src/observability/logger.js';
import { MANAGED_BY } from '../render/names.js';
import type { RouteContext } from '../resolve/routes.js';
import { CHILD_RESOURCES, MCP_ROUTE, MCP_SERVER, type ChildKind } from '../resources.js';

export interface ControllerEnv {
  informers: SharedInformers;
  applier: Applier;
  objects: KubeObjectClient;
  recorder: EventRecorder;
  logger: Logger;
  /** Queue and reconcile metric hooks (controller-runtime's metric names). */
  metrics: WorkQueueMetrics;
  clusterDomain: string;
  /** One reconcile's time before its signal aborts. */
  reconcileTimeoutMs: number;
  /** Wraps each controller's reconcile with a span per run (tracing on). */
  traceReconcile?: ((kind: string, reconcile: Reconcile) => Reconcile) | undefined;
  now?: () => Date;
}

/** The reconcile as the controller runs it: traced when tracing is on. */
export function traced(env: ControllerEnv, kind: string, reconcile: Reconcile): Reconcile {
  return env.traceReconcile ? env.traceReconcile(kind, reconcile) : reconcile;
}

/** Index names, shared so two controllers declaring the same index share one. */
export const INDEX = {
  /** McpServers by the namespace/name of each McpServer their spec.peers name. */
  serversByPeer: 'peers',
  /** McpRoutes by the namespace/name of each McpServer their targets name. */
  routesByTarget: 'targets',
  /** McpRoutes by the namespace/name of their spec.serverRef. */
  routesByServer: 'server',
  /** McpServers by the namespace/name of the Argo EventBus their spec.bus names. */
  serversByEventBus: 'eventbus',
} as const;

export const serverInformer = (env: ControllerEnv) => env.informers.informer<McpServer & KubernetesObject>(MCP_SERVER);
export const routeInformer = (env: ControllerEnv) => env.informers.informer<McpRoute & KubernetesObject>(MCP_ROUTE);

/** The children of every McpServer, by kind: only objects with our managed-by label are cached. */
export function childInformers(env: ControllerEnv): Record<ChildKind, Informer<KubernetesObject>> {
  const labelSelector = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
  return Object.fromEntries(
    Object.entries(CHILD_RESOURCES).map(([kind, resource]) => [kind, env.informers.informer(resource, { labelSelector })]),
  ) as Record<ChildKind, Informer<KubernetesObject>>;
}

/** How route evaluation sees the McpServers: through the cache. */
export function routeContext(servers: Informer<McpServer>, clusterDomain: string): RouteContext {
  return {
    lookup: (namespace, name) => servers.get(namespace, name),
    listServers: (namespace) => servers.list(namespace),
    clusterDomain,
  };
}
