// The McpRoute controller: its wiring and its reconcile. It reports a route's standing: Accepted
// (its server exists) and ResolvedRefs (its target servers exist). An invalid route is refused
// here, in its own status; the servers it would attach to go on with their other routes (the
// McpServer controller folds the valid ones into their configuration).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { McpRoute } from '../../src/api/index.js';
import type { Applier } from '../../src/kube/apply.js';
import { Controller, onlyStatusChanged } from '../../src/kube/controller.js';
import type { Informer } from '../../src/kube/informer.js';
import { requestFor, requestFromKey, requestKey, type Request } from '../../src/kube/request.js';
import { evaluateRoute, referencedTargetKeys, type RouteContext } from '../resolve/routes.js';
import { nextConditions } from '../status/conditions.js';
import { INDEX, routeContext, routeInformer, serverInformer, traced, type ControllerEnv } from './context.js';

/** The namespace/name of the McpServer a route's serverRef names. */
export function referencedServerKeys(route: McpRoute): string[] {
  return route.spec.serverRef ? [requestKey({ namespace: route.metadata.namespace, name: route.spec.serverRef.name })] : [];
}

export function setUpMcpRouteController(env: ControllerEnv): Controller {
  const routes = routeInformer(env);
  const servers = serverInformer(env);
  env.informers.index(routes, INDEX.routesByTarget, referencedTargetKeys);
  env.informers.index(routes, INDEX.routesByServer, referencedServerKeys);

  return (
    new Controller({
      name: 'mcproute',
      workers: 1,
      reconcileTimeoutMs: env.reconcileTimeoutMs,
      metrics: env.metrics,
      logger: env.logger,
      reconcile: traced(
        env,
        'McpRoute',
        createMcpRouteReconciler({
          routes,
          routeContext: routeContext(servers, env.clusterDomain),
          applier: env.applier,
          ...(env.now ? { now: env.now } : {}),
        }),
      ),
    })
      .for(routes, { ignoreUpdate: onlyStatusChanged })
      // A server changed: routes naming it as their server or target, and selector routes beside it.
      .watches(
        servers,
        (server) => {
          const key = requestKey(requestFor(server));
          return [
            ...routes.keysByIndex(INDEX.routesByServer, key).map(requestFromKey),
            ...routes.keysByIndex(INDEX.routesByTarget, key).map(requestFromKey),
            ...routes
              .list(server.metadata.namespace)
              .filter((route) => route.spec.serverSelector)
              .map((route) => requestFor(route as unknown as KubernetesObject)),
          ];
        },
        { ignoreUpdate: onlyStatusChanged },
      )
  );
}

export interface McpRouteReconcilerDeps {
  routes: Informer<McpRoute>;
  routeContext: RouteContext;
  applier: Applier;
  now?: () => Date;
}

export function createMcpRouteReconciler(deps: McpRouteReconcilerDeps) {
  const now = deps.now ?? (() => new Date());
  return async function reconcile(request: Request, signal: AbortSignal): Promise<void> {
    const route = deps.routes.get(request.namespace, request.name);
    if (!route || route.metadata.deletionTimestamp) return;
    const evaluation = evaluateRoute(route, deps.routeContext);
    const generation = route.metadata.generation ?? 0;
    const conditions = nextConditions(
      route.status?.conditions,
      [
        { type: 'Accepted', ...evaluation.accepted },
        { type: 'ResolvedRefs', ...evaluation.resolvedRefs },
      ],
      generation,
      now(),
    );
    const status = { observedGeneration: generation, conditions, servers: evaluation.servers };
    await deps.applier.applyStatus(route, status, route as unknown as KubernetesObject, { signal });
  };
}
