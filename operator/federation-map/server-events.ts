// The recent Kubernetes Events (events.k8s.io) about one McpServer: what the operator recorded
// (condition changes) and what its gateways recorded (EventDispatched, EventDeadLettered,
// PeerUnreachable), newest first. One bounded list call under a timeout, selected by the API
// server (regarding.kind, regarding.name), read on demand when someone opens a server on the map.
import type { KubeObjectClient } from '../../src/kube/object-client.js';

export interface ServerEvent {
  type: string;
  reason: string;
  note: string;
  /** Occurrences, counting the series the recorder folded into this Event. */
  count: number;
  /** The latest occurrence, as the API reported it (RFC 3339). */
  lastSeen: string;
  reportingController: string;
  action: string;
}

export type ServerEventsReader = (namespace: string, name: string, signal?: AbortSignal) => Promise<ServerEvent[]>;

interface ApiEvent {
  type?: string;
  reason?: string;
  note?: string;
  action?: string;
  reportingController?: string;
  eventTime?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedCount?: number | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  metadata?: { creationTimestamp?: string };
}

export interface ServerEventsOptions {
  /** Events returned, newest first. */
  limit: number;
  /** Events the API server is asked for at most (the newest `limit` of them are kept). */
  listLimit?: number;
  timeoutMs: number;
}

const time = (text: string) => {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : 0;
};

function lastSeen(event: ApiEvent): string {
  return event.series?.lastObservedTime ?? event.eventTime ?? event.deprecatedLastTimestamp ?? event.metadata?.creationTimestamp ?? '';
}

export function createServerEventsReader(objects: KubeObjectClient, options: ServerEventsOptions): ServerEventsReader {
  return async (namespace, name, signal) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const list = await objects.getJson<{ items?: ApiEvent[] }>(
      `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector: `regarding.kind=McpServer,regarding.name=${name}`, limit: String(options.listLimit ?? 500) },
      signal ? AbortSignal.any([signal, timeout]) : timeout,
    );
    return (list.items ?? [])
      .map((event) => ({
        type: event.type ?? 'Normal',
        reason: event.reason ?? '',
        note: event.note ?? '',
        count: event.series?.count ?? event.deprecatedCount ?? 1,
        lastSeen: lastSeen(event),
        reportingController: event.reportingController ?? '',
        action: event.action ?? '',
      }))
      .sort((a, b) => time(b.lastSeen) - time(a.lastSeen))
      .slice(0, options.limit);
  };
}
