// Reports an McpRoute's standing: Accepted (its server exists) and ResolvedRefs (its target
// servers exist). An invalid route is refused here, in its own status; the servers it would
// attach to go on with their other routes.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { McpRoute, McpServer } from '../../src/api/index.js';
import type { Applier } from '../../src/kube/apply.js';
import { splitObjectKey } from '../../src/kube/client.js';
import type { Informer } from '../../src/kube/informer.js';
import { evaluateRoute } from '../resolve/routes.js';
import { nextConditions } from '../status/conditions.js';
import { routeContext } from './mcp-server-reconciler.js';

export interface McpRouteReconcilerDeps {
  routes: Informer<McpRoute>;
  servers: Informer<McpServer>;
  applier: Applier;
  clusterDomain: string;
  now?: () => Date;
}

export function createMcpRouteReconciler(deps: McpRouteReconcilerDeps) {
  const now = deps.now ?? (() => new Date());
  const context = routeContext(deps.servers, deps.clusterDomain);
  return async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const route = deps.routes.get(namespace, name);
    if (!route || route.metadata.deletionTimestamp) return;
    const evaluation = evaluateRoute(route, context);
    const conditions = nextConditions(
      route.status?.conditions,
      [
        { type: 'Accepted', ...evaluation.accepted },
        { type: 'ResolvedRefs', ...evaluation.resolvedRefs },
      ],
      route.metadata.generation ?? 0,
      now(),
    );
    const status = { observedGeneration: route.metadata.generation ?? 0, conditions, servers: evaluation.servers };
    await deps.applier.applyStatus(route, status, route as unknown as KubernetesObject);
  };
}
