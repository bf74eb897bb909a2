// What the map shows when a server is opened: its status as the operator wrote it, and its recent
// Kubernetes Events. The server comes from the cache; the Events from one API call, whose
// failure (no permission, a slow API server) is shown beside the status rather than hiding it.
import type { Condition, McpServer } from '../../src/api/index.js';
import { apiStatusCode } from '../../src/kube/client.js';
import { CONDITION_KINDS } from '../status/conditions.js';
import type { ServerEvent, ServerEventsReader } from './server-events.js';

export interface ServerDetails {
  id: string;
  namespace: string;
  name: string;
  generation: number;
  observedGeneration: number | undefined;
  /** Each with whether its status is the healthy one for its type (Degraded=False is). */
  conditions: (Condition & { health: ConditionHealth })[];
  replicas: number;
  readyReplicas: number;
  endpoint: string | undefined;
  peers: { name: string; resolved: boolean; address?: string | undefined }[];
  attachedRoutes: number;
  events: ServerEvent[];
  /** Why the Events could not be listed. */
  eventsError?: string;
}

/** `unknown` for types this operator does not know (a newer operator's, or Unknown status). */
export type ConditionHealth = 'healthy' | 'unhealthy' | 'unknown';

export function conditionHealth(condition: Pick<Condition, 'type' | 'status'>): ConditionHealth {
  const kind = CONDITION_KINDS[condition.type];
  if (!kind || condition.status === 'Unknown') return 'unknown';
  return kind.healthy === 'either' || kind.healthy === condition.status ? 'healthy' : 'unhealthy';
}

export interface ServerDetailsDeps {
  lookup: (namespace: string, name: string) => McpServer | undefined;
  events: ServerEventsReader;
}

export function createServerDetails(deps: ServerDetailsDeps) {
  return async (namespace: string, name: string, signal?: AbortSignal): Promise<ServerDetails | undefined> => {
    const server = deps.lookup(namespace, name);
    if (!server) return undefined;
    const status = server.status ?? {};
    const details: ServerDetails = {
      id: `${namespace}/${name}`,
      namespace,
      name,
      generation: server.metadata.generation ?? 0,
      observedGeneration: status.observedGeneration,
      conditions: (status.conditions ?? []).map((condition) => ({ ...condition, health: conditionHealth(condition) })),
      replicas: status.replicas ?? 0,
      readyReplicas: status.readyReplicas ?? 0,
      endpoint: status.endpoint,
      peers: (status.peers ?? []).map((peer) => ({ name: peer.name, resolved: peer.resolved, address: peer.address })),
      attachedRoutes: status.attachedRoutes ?? 0,
      events: [],
    };
    try {
      details.events = await deps.events(namespace, name, signal);
    } catch (error) {
      details.eventsError = `could not list Events: ${describe(error)}`;
    }
    return details;
  };
}

/** An API error as a line: its status and the API server's message, not client-node's whole dump. */
function describe(error: unknown): string {
  const code = apiStatusCode(error);
  if (code === undefined) return (error as Error).message;
  const body = (error as { body?: unknown }).body;
  let message: unknown;
  try {
    message = (typeof body === 'string' ? (JSON.parse(body) as { message?: unknown }) : (body as { message?: unknown } | undefined))?.message;
  } catch {
    message = undefined;
  }
  return typeof message === 'string' ? `${code}: ${message}` : `HTTP ${code}`;
}
