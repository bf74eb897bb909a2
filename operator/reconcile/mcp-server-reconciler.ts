// Reconciles one McpServer: resolve peers and routes, render the children, apply what differs
// (server-side apply, one field manager, controller owner reference), remove optional children
// whose spec field is gone, and report status. Level-based: it reads everything from the caches
// and writes nothing when the cluster already matches.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { McpRoute, McpServer } from '../../src/api/index.js';
import { ConfigError } from '../../src/config/index.js';
import { Applier, controllerOf, controllerOwnerReference } from '../../src/kube/apply.js';
import { isNotFound, splitObjectKey } from '../../src/kube/client.js';
import type { EventRecorder } from '../../src/kube/event-recorder.js';
import type { Informer } from '../../src/kube/informer.js';
import type { KubeObjectClient } from '../../src/kube/object-client.js';
import type { Logger } from '../../src/observability/logger.js';
import { renderServer } from '../render/index.js';
import { referencedSecrets } from '../render/secrets.js';
import { resolvePeers } from '../resolve/peers.js';
import { routesForServer, type RouteContext } from '../resolve/routes.js';
import type { ChildKind } from '../resources.js';
import { transitions } from '../status/conditions.js';
import { serverStatus } from './server-status.js';

/** resourceVersion of each Secret, or undefined where it does not exist. */
export type SecretVersions = (namespace: string, names: string[]) => Promise<Record<string, string | undefined>>;

export interface McpServerReconcilerDeps {
  servers: Informer<McpServer>;
  routes: Informer<McpRoute>;
  children: Record<ChildKind, Informer<KubernetesObject>>;
  applier: Applier;
  objects: KubeObjectClient;
  recorder: EventRecorder;
  secretVersions: SecretVersions;
  /** How often a server that references Secrets is looked at again: the operator may only `get`
   * Secrets (watching them all would cache every Secret in the cluster), so it polls its own. */
  secretRecheckMs: number;
  defaultImage: string;
  clusterDomain: string;
  logger: Logger;
  now?: () => Date;
}

export function routeContext(servers: Informer<McpServer>, clusterDomain: string): RouteContext {
  return {
    lookup: (namespace, name) => servers.get(namespace, name),
    listServers: (namespace) => servers.list(namespace),
    clusterDomain,
  };
}

export function createMcpServerReconciler(deps: McpServerReconcilerDeps) {
  const now = deps.now ?? (() => new Date());
  const context = routeContext(deps.servers, deps.clusterDomain);

  return async function reconcile(key: string): Promise<{ requeueAfter?: number } | void> {
    const { namespace, name } = splitObjectKey(key);
    const server = deps.servers.get(namespace, name);
    // Gone, or going: its children carry owner references, and garbage collection removes them.
    if (!server || server.metadata.deletionTimestamp) return;
    const log = deps.logger.child({ mcpserver: key });

    const peers = resolvePeers(server, context.lookup, deps.clusterDomain);
    const routes = routesForServer(key, deps.routes.list(namespace), context);
    const secretNames = referencedSecrets(server);
    const versions = secretNames.length > 0 ? await deps.secretVersions(namespace ?? 'default', secretNames) : {};
    const missingSecrets = secretNames.filter((name) => versions[name] === undefined);
    let rendered: ReturnType<typeof renderServer> | undefined;
    let renderError: string | undefined;
    try {
      rendered = renderServer(server, {
        defaultImage: deps.defaultImage,
        peers: peers.targets,
        routes: routes.rendered,
        secretVersions: Object.fromEntries(Object.entries(versions).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      renderError = error.message;
    }

    if (rendered) {
      const owner = controllerOwnerReference(server as unknown as KubernetesObject);
      let writes = 0;
      for (const child of rendered.objects) {
        child.metadata = { ...child.metadata, ownerReferences: [owner] };
        const live = deps.children[child.kind as ChildKind].get(namespace, child.metadata.name!);
        if ((await deps.applier.apply(child, live)).applied) writes++;
      }
      for (const absent of rendered.absent) {
        const live = deps.children[absent.kind as ChildKind].get(namespace, absent.name);
        if (live && controllerOf(live)?.uid === server.metadata.uid) {
          await deps.objects.delete(live).catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
          });
          writes++;
        }
      }
      if (writes > 0) log.info({ writes, configHash: rendered.config.configHash }, 'children applied');
    }

    const deployment = deps.children.Deployment.get(namespace, name) as V1Deployment | undefined;
    const status = serverStatus({
      server,
      deployment,
      peers,
      attachedRoutes: routes.attached,
      configHash: rendered?.config.configHash ?? server.status?.configHash,
      renderError,
      missingSecrets,
      clusterDomain: deps.clusterDomain,
      now: now(),
    });
    await deps.applier.applyStatus(server, status as Record<string, unknown>, server as unknown as KubernetesObject);
    for (const changed of transitions(server.status?.conditions, status.conditions ?? [])) {
      const healthy = (changed.type === 'Degraded') === (changed.status === 'False');
      // A server's first conditions are news only when something is wrong (a thousand new
      // servers would otherwise queue four thousand Events behind the write budget).
      const first = !server.status?.conditions?.some((c) => c.type === changed.type);
      if (first && (healthy || changed.type === 'Ready' || changed.type === 'Progressing')) continue;
      deps.recorder.record({
        regarding: { apiVersion: server.apiVersion, kind: server.kind, name, namespace, uid: server.metadata.uid },
        type: healthy ? 'Normal' : 'Warning',
        reason: changed.reason,
        action: 'Reconcile',
        note: `${changed.type}=${changed.status}: ${changed.message}`,
      });
    }
    return secretNames.length > 0 ? { requeueAfter: deps.secretRecheckMs } : undefined;
  };
}
