// Where the API server is and how to talk to it: one KubeConfig per process, loaded once at the
// edge, and the typed API clients built from it. Also the one place that knows how client-node
// 1.4 reports API errors (ApiException with a numeric `code`, lower-cased `headers` and the
// Status object as `body`), so callers test status codes by name instead of by shape.
import { createHash } from 'node:crypto';
import type { Agent } from 'node:http';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeObjectClient } from './object-client.js';

export interface LoadKubeConfigOptions {
  /** An explicit kubeconfig file; wins over everything else. */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads the kubeconfig from, in order: `path`, $KUBECONFIG (colon-separated list), the in-cluster
 * service account, ~/.kube/config. Throws when none exists: client-node's loadFromDefault would
 * silently fall back to http://localhost:8080, which hides a misconfigured pod.
 */
export function loadKubeConfig(options: LoadKubeConfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kubeConfig = new KubeConfig();
  const homeConfig = join(homedir(), '.kube', 'config');
  if (options.path) {
    kubeConfig.loadFromFile(options.path);
  } else if (env.KUBECONFIG) {
    // loadFromDefault reads and merges every file in $KUBECONFIG.
    kubeConfig.loadFromDefault();
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    kubeConfig.loadFromCluster();
  } else if (existsSync(homeConfig)) {
    kubeConfig.loadFromFile(homeConfig);
  } else {
    throw new Error('no kubeconfig: pass a path, set KUBECONFIG, run in a pod, or create ~/.kube/config');
  }
  if (!kubeConfig.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
  return reuseConnections(kubeConfig);
}

type AgentFactory = (cluster: unknown, agentOptions: Record<string, unknown>) => Agent;

/** Agents kept per distinct TLS identity; a rotated client certificate gets a new one. */
const MAX_POOLED_AGENTS = 8;

/**
 * client-node 1.4 builds a new https.Agent for every API request, so every request pays a TLS
 * handshake (about half the operator's CPU when it reconciles a thousand servers, and as much
 * again on the API server). This keeps one keep-alive agent per server and credentials instead.
 */
export function reuseConnections(kubeConfig: KubeConfig, maxSockets = 32): KubeConfig {
  const target = kubeConfig as unknown as { createAgent: AgentFactory };
  const create = target.createAgent.bind(kubeConfig);
  const agents = new Map<string, Agent>();
  target.createAgent = (cluster, agentOptions) => {
    const server = (cluster as { server?: string; proxyUrl?: string } | null)?.server;
    if ((cluster as { proxyUrl?: string } | null)?.proxyUrl) return create(cluster, agentOptions);
    const identity = createHash('sha256')
      .update(JSON.stringify([server, agentOptions.rejectUnauthorized, agentOptions.servername]))
      .update(String(agentOptions.ca ?? ''))
      .update(String(agentOptions.cert ?? ''))
      .update(String(agentOptions.key ?? ''))
      .update(String(agentOptions.pfx ?? ''))
      .digest('hex');
    let agent = agents.get(identity);
    if (!agent) {
      agent = create(cluster, { ...agentOptions, keepAlive: true, maxSockets });
      agents.set(identity, agent);
      if (agents.size > MAX_POOLED_AGENTS) {
        const [oldest, stale] = agents.entries().next().value!;
        agents.delete(oldest);
        stale.destroy();
      }
    }
    return agent;
  };
  return kubeConfig;
}

export interface KubeClients {
  kubeConfig: KubeConfig;
  /** Any kind by apiVersion/kind (discovers the resource path); server-side apply, raw reads. */
  objects: KubeObjectClient;
  core: CoreV1Api;
  customObjects: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

export function createKubeClients(kubeConfig: KubeConfig): KubeClients {
  return {
    kubeConfig,
    objects: KubeObjectClient.fromKubeConfig(kubeConfig),
    core: kubeConfig.makeApiClient(CoreV1Api),
    customObjects: kubeConfig.makeApiClient(CustomObjectsApi),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    events: kubeConfig.makeApiClient(EventsV1Api),
  };
}

/**
 * The HTTP status of a failed API call: ApiException's `code`, or `statusCode` (what client-node's
 * Watch sets on its errors), or `code` of a Status object from a watch ERROR event.
 */
export function apiStatusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  if (typeof code === 'number') return code;
  return undefined;
}

export const isNotFound = (error: unknown): boolean => apiStatusCode(error) === 404;
export const isConflict = (error: unknown): boolean => apiStatusCode(error) === 409;
export const isGone = (error: unknown): boolean => apiStatusCode(error) === 410;
export const isTooManyRequests = (error: unknown): boolean => apiStatusCode(error) === 429;

/** AlreadyExists is a 409 too; the Status reason tells it apart from a resourceVersion conflict. */
export function isAlreadyExists(error: unknown): boolean {
  return apiStatusCode(error) === 409 && statusReason(error) === 'AlreadyExists';
}

export function statusReason(error: unknown): string | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const reason = (parsed as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** How long the server asked us to wait (Retry-After header or Status details), in ms. */
export function retryAfterMs(error: unknown): number | undefined {
  const { headers, body } = (error ?? {}) as { headers?: Record<string, string>; body?: unknown };
  const header = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = header !== undefined ? Number(header) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const parsed = typeof body === 'string' ? safeJson(body) : body;
  const detail = (parsed as { details?: { retryAfterSeconds?: unknown } } | undefined)?.details?.retryAfterSeconds;
  return typeof detail === 'number' && detail >= 0 ? detail * 1000 : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "namespace/name", or "name" for cluster-scoped objects: the key every queue and cache uses. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function splitObjectKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash === -1 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
