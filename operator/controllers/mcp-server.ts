// The McpServer controller: its wiring (what it reconciles, owns and watches, and the indexes
// those need) and its reconcile. Reconciling one McpServer: observe what it depends on (peers,
// routes, Secrets), render the children, apply what differs (server-side apply, one field manager,
// controller owner reference), remove optional children whose spec field is gone, report status
// and record the condition changes as Events. Level-based: it reads everything from the caches and
// writes nothing when the cluster already matches.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { Condition, McpRoute, McpServer } from '../../src/api/index.js';
import { ConfigError } from '../../src/config/index.js';
import { Applier, controllerOf, controllerOwnerReference } from '../../src/kube/apply.js';
import { isNotFound } from '../../src/kube/client.js';
import { Controller, onlyStatusChanged } from '../../src/kube/controller.js';
import type { EventRecorder } from '../../src/kube/event-recorder.js';
import type { Informer } from '../../src/kube/informer.js';
import type { KubeObjectClient } from '../../src/kube/object-client.js';
import { requestFor, requestFromKey, requestKey, type Request } from '../../src/kube/request.js';
import type { Logger } from '../../src/observability/logger.js';
import { apiServes } from '../../src/kube/discovery.js';
import { renderServer, serverSecretMounts, type RenderedServer } from '../render/index.js';
import { referencedSecrets } from '../render/secrets.js';
import { referencedEventBusKeys, resolveBus, type EventBusLookup, type SettledBus } from '../resolve/bus.js';
import { referencedPeerKeys, resolvePeers, type ResolvedPeers } from '../resolve/peers.js';
import { attachedServerKeys, referencedTargetKeys, routesForServer, type RouteContext } from '../resolve/routes.js';
import { MCP_SERVER, type ChildKind } from '../resources.js';
import { conditionEvents } from '../status/conditions.js';
import { INDEX, childInformers, routeContext, routeInformer, serverInformer, traced, type ControllerEnv } from './context.js';
import { watchEventBusesWhenServed } from './event-buses.js';
import { serverStatus } from './mcp-server-status.js';

/** resourceVersion of each Secret, or undefined where it does not exist. */
export type SecretVersions = (namespace: string, names: string[], signal: AbortSignal) => Promise<Record<string, string | undefined>>;

export interface McpServerControllerOptions {
  workers: number;
  secretVersions: SecretVersions;
  /** How often a server that references Secrets is looked at again: the operator may only `get`
   * Secrets (watching them all would cache every Secret in the cluster), so it polls its own. */
  secretRecheckMs: number;
  /** How often, while Argo Events' EventBus kind is not served, the operator looks for it again. */
  eventBusRecheckMs: number;
  defaultImage: string;
}

export function setUpMcpServerController(env: ControllerEnv, options: McpServerControllerOptions): Controller {
  const servers = serverInformer(env);
  const routes = routeInformer(env);
  const children = childInformers(env);
  env.informers.index(servers, INDEX.serversByPeer, referencedPeerKeys);
  env.informers.index(routes, INDEX.routesByTarget, referencedTargetKeys);
  env.informers.index(servers, INDEX.serversByEventBus, referencedEventBusKeys);
  const context = routeContext(servers, env.clusterDomain);
  const attachedServers = (route: McpRoute): Request[] => attachedServerKeys(route, context).map(requestFromKey);

  const controller = new Controller({
    name: 'mcpserver',
    workers: options.workers,
    reconcileTimeoutMs: env.reconcileTimeoutMs,
    metrics: env.metrics,
    logger: env.logger,
    reconcile: traced(
      env,
      MCP_SERVER.kind,
      createMcpServerReconciler({
        servers,
        routes,
        children,
        routeContext: context,
        applier: env.applier,
        objects: env.objects,
        recorder: env.recorder,
        secretVersions: options.secretVersions,
        secretRecheckMs: options.secretRecheckMs,
        // The EventBus watch needs the controller to add its watch; reconciles (which run only
        // once the controller started) read it through these closures.
        eventBuses: { state: () => eventBusWatch.state(), get: (namespace, name) => eventBusWatch.get(namespace, name) },
        defaultImage: options.defaultImage,
        clusterDomain: env.clusterDomain,
        logger: env.logger,
        ...(env.now ? { now: env.now } : {}),
      }),
    ),
  })
    .for(servers, { ignoreUpdate: onlyStatusChanged })
    .owns({ apiVersion: MCP_SERVER.apiVersion, kind: MCP_SERVER.kind }, ...Object.values(children))
    // A server changed: the servers peering with it, and the servers whose routes target it.
    .watches(
      servers,
      (server) => {
        const key = requestKey(requestFor(server));
        return [
          ...servers.keysByIndex(INDEX.serversByPeer, key).map(requestFromKey),
          ...routes.byIndex(INDEX.routesByTarget, key).flatMap(attachedServers),
        ];
      },
      { ignoreUpdate: onlyStatusChanged },
    )
    // A route changed: the servers it attaches to (for an update, before and after).
    .watches(routes, attachedServers, { ignoreUpdate: onlyStatusChanged });
  // An EventBus changed: the servers whose bus names it (once Argo Events' kind is served).
  const eventBusWatch = watchEventBusesWhenServed(env, {
    controller,
    servers,
    served: (resource) => apiServes(env.objects, resource),
    recheckMs: options.eventBusRecheckMs,
  });
  return controller.runs(eventBusWatch);
}

export interface McpServerReconcilerDeps {
  servers: Informer<McpServer>;
  routes: Informer<McpRoute>;
  children: Record<ChildKind, Informer<KubernetesObject>>;
  routeContext: RouteContext;
  applier: Applier;
  objects: KubeObjectClient;
  recorder: EventRecorder;
  secretVersions: SecretVersions;
  secretRecheckMs: number;
  eventBuses: EventBusLookup;
  defaultImage: string;
  clusterDomain: string;
  logger: Logger;
  now?: () => Date;
}

/** What a server's configuration depends on besides its own spec, as things stand now. */
interface Observed {
  bus: SettledBus;
  peers: ResolvedPeers;
  routes: ReturnType<typeof routesForServer>;
  targetSecrets: string[];
  secretNames: string[];
  secretVersions: Record<string, string>;
  missingSecrets: string[];
}

type Rendering = { rendered: RenderedServer; error?: undefined } | { rendered?: undefined; error: string };

export function createMcpServerReconciler(deps: McpServerReconcilerDeps) {
  const now = deps.now ?? (() => new Date());

  /** What the server depends on; undefined while the EventBus cache it needs is still filling. */
  async function observe(server: McpServer, request: Request, signal: AbortSignal): Promise<Observed | undefined> {
    const namespace = request.namespace ?? 'default';
    const bus = resolveBus(server, deps.eventBuses);
    if (bus.pending) return undefined;
    const peers = resolvePeers(server, deps.routeContext.lookup, deps.clusterDomain);
    const routes = routesForServer(requestKey(request), deps.routes.list(request.namespace), deps.routeContext);
    // The server's own Secrets, the bus's, and those its peers' and route targets' TLS settings name (its namespace, as its routes are).
    const targetSecrets = [...new Set([...peers.secrets, ...routes.secrets])].sort();
    const secretNames = referencedSecrets(serverSecretMounts(server, bus.bus ?? { type: 'memory' }, targetSecrets));
    const versions = secretNames.length > 0 ? await deps.secretVersions(namespace, secretNames, signal) : {};
    return {
      bus,
      peers,
      routes,
      targetSecrets,
      secretNames,
      secretVersions: Object.fromEntries(Object.entries(versions).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      missingSecrets: secretNames.filter((name) => versions[name] === undefined),
    };
  }

  function render(server: McpServer, observed: Observed): Rendering | undefined {
    // Without its log there is nothing to render: the children stay as they are, status says why.
    if (!observed.bus.bus) return undefined;
    try {
      return {
        rendered: renderServer(server, {
          defaultImage: deps.defaultImage,
          peers: observed.peers.targets,
          routes: observed.routes.rendered,
          secretVersions: observed.secretVersions,
          bus: observed.bus.bus,
          targetSecrets: observed.targetSecrets,
        }),
      };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { error: error.message };
    }
  }

  /** Applies the children that differ and deletes optional ones that must not exist; returns the writes made. */
  async function applyChildren(server: McpServer, rendered: RenderedServer, signal: AbortSignal): Promise<number> {
    const namespace = server.metadata.namespace;
    const owner = controllerOwnerReference(server as unknown as KubernetesObject);
    let writes = 0;
    for (const child of rendered.objects) {
      child.metadata = { ...child.metadata, ownerReferences: [owner] };
      const live = deps.children[child.kind as ChildKind].get(namespace, child.metadata.name!);
      if ((await deps.applier.apply(child, live, { signal })).applied) writes++;
    }
    for (const absent of rendered.absent) {
      const live = deps.children[absent.kind as ChildKind].get(namespace, absent.name);
      if (live && controllerOf(live)?.uid === server.metadata.uid) {
        signal.throwIfAborted();
        await deps.objects.delete(live).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
        writes++;
      }
    }
    return writes;
  }

  // The conditions this operator last wrote, per server: the informer's copy can still be older
  // when the next reconcile runs, and Events are judged against what was really there before.
  const writtenConditions = new Map<string, { uid: string | undefined; conditions: Condition[] }>();

  return async function reconcile(request: Request, signal: AbortSignal): Promise<{ requeueAfter?: number } | void> {
    const server = deps.servers.get(request.namespace, request.name);
    // Gone, or going: its children carry owner references, and garbage collection removes them.
    if (!server || server.metadata.deletionTimestamp) {
      writtenConditions.delete(requestKey(request));
      return;
    }
    const log = deps.logger.child({ mcpserver: requestKey(request) });

    const observed = await observe(server, request, signal);
    if (!observed) return { requeueAfter: 1000 };
    const { rendered, error: renderError } = render(server, observed) ?? {};
    if (rendered) {
      const writes = await applyChildren(server, rendered, signal);
      if (writes > 0) log.info({ writes, configHash: rendered.config.configHash }, 'children applied');
    }

    const status = serverStatus({
      server,
      deployment: deps.children.Deployment.get(request.namespace, request.name) as V1Deployment | undefined,
      peers: observed.peers,
      attachedRoutes: observed.routes.attached,
      configHash: rendered?.config.configHash ?? server.status?.configHash,
      renderError,
      missingSecrets: observed.missingSecrets,
      bus: observed.bus,
      clusterDomain: deps.clusterDomain,
      now: now(),
    });
    await deps.applier.applyStatus(server, status as Record<string, unknown>, server as unknown as KubernetesObject, { signal });
    const written = writtenConditions.get(requestKey(request));
    const before = written && written.uid === server.metadata.uid ? written.conditions : server.status?.conditions;
    writtenConditions.set(requestKey(request), { uid: server.metadata.uid, conditions: status.conditions ?? [] });
    for (const event of conditionEvents(before, status.conditions ?? [])) {
      deps.recorder.record({
        regarding: { apiVersion: server.apiVersion, kind: server.kind, name: request.name, namespace: request.namespace, uid: server.metadata.uid },
        action: 'Reconcile',
        ...event,
      });
    }
    return observed.secretNames.length > 0 ? { requeueAfter: deps.secretRecheckMs } : undefined;
  };
}
