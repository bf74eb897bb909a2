// McpRoutes judged against the servers they name: which servers a route attaches to, its targets
// resolved, and the conditions it earns. One function serves the server reconciler (which folds
// accepted routes into the config) and the route reconciler (which reports them), so the two
// never disagree.
import type { McpRoute, McpServer } from '../../src/api/index.js';
import { defaultTargetId } from '../../src/config/index.js';
import type { ResolvedRoute, ResolvedTarget } from '../render/gateway-config.js';
import { serverAsTarget, urlAsTarget } from './addresses.js';
import type { ServerLookup } from './peers.js';

export interface RouteEvaluation {
  /** namespace/name of the servers it attaches to. */
  servers: string[];
  accepted: { status: boolean; reason: string; message: string };
  resolvedRefs: { status: boolean; reason: string; message: string };
  /** Present when it is accepted and at least one target resolved. */
  rendered?: ResolvedRoute;
  /** Secrets its targets' TLS settings use. */
  secrets: string[];
}

export interface RouteContext {
  lookup: ServerLookup;
  /** McpServers in a namespace, for selector routes. */
  listServers: (namespace: string) => McpServer[];
  clusterDomain: string;
}

function matchesLabels(server: McpServer, wanted: Record<string, string>): boolean {
  const labels = server.metadata.labels ?? {};
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** namespace/name of each McpServer a route's targets name. */
export function referencedTargetKeys(route: McpRoute): string[] {
  const namespace = route.metadata.namespace ?? 'default';
  return route.spec.targets.flatMap((t) => (t.serverRef ? [`${t.serverRef.namespace ?? namespace}/${t.serverRef.name}`] : []));
}

/** namespace/name of the servers a route attaches to, as things stand in the cache. */
export function attachedServerKeys(route: McpRoute, context: RouteContext): string[] {
  const namespace = route.metadata.namespace ?? 'default';
  if (route.spec.serverRef) {
    const found = context.lookup(namespace, route.spec.serverRef.name);
    return found ? [`${namespace}/${found.metadata.name}`] : [];
  }
  const wanted = route.spec.serverSelector?.matchLabels ?? {};
  return context
    .listServers(namespace)
    .filter((server) => matchesLabels(server, wanted))
    .map((server) => `${namespace}/${server.metadata.name}`);
}

export function evaluateRoute(route: McpRoute, context: RouteContext): RouteEvaluation {
  const namespace = route.metadata.namespace ?? 'default';
  const servers = attachedServerKeys(route, context);
  const accepted =
    servers.length > 0
      ? { status: true, reason: 'Accepted', message: `attached to ${servers.join(', ')}` }
      : route.spec.serverRef
        ? { status: false, reason: 'ServerNotFound', message: `McpServer ${namespace}/${route.spec.serverRef.name} does not exist` }
        : { status: false, reason: 'NoMatchingServer', message: 'no McpServer in this namespace matches serverSelector' };

  const targets: ResolvedTarget[] = [];
  const secrets: string[] = [];
  const missing: string[] = [];
  for (const target of route.spec.targets) {
    if (target.url) {
      const resolved = urlAsTarget(target.url, defaultTargetId(target.url), target.format ?? 'mcp', target.batch, target.tls);
      targets.push(resolved.target);
      secrets.push(...resolved.secrets);
      continue;
    }
    const ref = target.serverRef!;
    const found = context.lookup(ref.namespace ?? namespace, ref.name);
    if (!found) {
      missing.push(`${ref.namespace ?? namespace}/${ref.name}`);
      continue;
    }
    const resolved = serverAsTarget(found, context.clusterDomain, target.tls);
    targets.push(resolved.target);
    secrets.push(...resolved.secrets);
  }
  const resolvedRefs =
    missing.length === 0
      ? { status: true, reason: 'ResolvedRefs', message: `${targets.length} target(s) resolved` }
      : { status: false, reason: 'TargetNotFound', message: `McpServer target(s) not found: ${missing.join(', ')}` };

  const evaluation: RouteEvaluation = { servers, accepted, resolvedRefs, secrets };
  if (accepted.status && targets.length > 0) {
    const spec = route.spec;
    evaluation.rendered = {
      name: `${namespace}/${route.metadata.name}`,
      match: { eventTypes: spec.match?.eventTypes ?? [], sources: spec.match?.sources ?? [], metadata: spec.match?.metadata ?? {} },
      targets,
      delivery: {
        ...(spec.delivery?.timeout ? { timeout: spec.delivery.timeout } : {}),
        ...(spec.delivery?.retry ? { retry: { ...spec.delivery.retry } } : {}),
      },
    };
  }
  return evaluation;
}

/** Routes rendered into a server's config, lowest priority value first, then by name. */
export function routesForServer(
  serverKey: string,
  routes: McpRoute[],
  context: RouteContext,
): { rendered: ResolvedRoute[]; attached: number; secrets: string[] } {
  const chosen = routes
    .map((route) => ({ route, evaluation: evaluateRoute(route, context) }))
    .filter(({ evaluation }) => evaluation.servers.includes(serverKey) && evaluation.rendered)
    .sort(
      (a, b) =>
        (a.route.spec.priority ?? 100) - (b.route.spec.priority ?? 100) || a.evaluation.rendered!.name.localeCompare(b.evaluation.rendered!.name),
    );
  return {
    rendered: chosen.map(({ evaluation }) => evaluation.rendered!),
    attached: chosen.length,
    secrets: chosen.flatMap(({ evaluation }) => evaluation.secrets),
  };
}
