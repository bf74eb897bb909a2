// Forwarding state in the Go reference server's shapes (GET /api/v1/forwarding/targets and
// /api/v1/forwarding/metrics), with ours beside them. Durations in the reference's fields are
// nanoseconds and times RFC 3339, as Go's encoding/json writes time.Duration and time.Time; ours
// say their unit in their names.
import type { ForwardingStats, TargetStats } from './forwarder.js';

/** Go's zero time.Time, which the reference writes for "never". */
const NEVER = '0001-01-01T00:00:00Z';
const MS_TO_NS = 1_000_000;

const iso = (ms: number | undefined) => (ms === undefined ? NEVER : new Date(ms).toISOString());

function typeOf(target: TargetStats): 'grpc' | 'webhook' | 'http' {
  if (target.url.startsWith('grpc')) return 'grpc';
  return target.format === 'cloudevents' ? 'webhook' : 'http';
}

/** healthy: the target answers; unhealthy: its circuit is open (or probing); unknown: nothing sent yet. */
function healthOf(target: TargetStats): 'healthy' | 'unhealthy' | 'unknown' {
  if (target.circuit !== 'closed') return 'unhealthy';
  return target.requests === 0 ? 'unknown' : 'healthy';
}

/** A route's match as the reference's rules (conditions on event_type, source, metadata.<key>). */
function rulesOf(target: TargetStats) {
  return target.lanes.map(({ route, match }) => ({
    id: route,
    name: route,
    enabled: true,
    priority: 0,
    conditions: match
      ? [
          ...(match.eventTypes.length > 0 ? [{ field: 'event_type', operator: 'in', value: match.eventTypes }] : []),
          ...(match.sources.length > 0 ? [{ field: 'source', operator: 'in', value: match.sources }] : []),
          ...Object.entries(match.metadata).map(([key, value]) => ({ field: `metadata.${key}`, operator: 'eq', value })),
        ]
      : [],
  }));
}

function targetMetrics(target: TargetStats) {
  const settled = target.delivered + target.deadLettered;
  return {
    events_sent: target.delivered,
    events_failed: target.deadLettered,
    avg_response_time: target.requests === 0 ? 0 : Math.round((target.requestSeconds / target.requests) * 1e9),
    ...(target.lastError ? { last_error: target.lastError } : {}),
    last_success: iso(target.lastDeliveredAt),
    uptime_percentage: settled === 0 ? 100 : (100 * target.delivered) / settled,
  };
}

export function targetView(target: TargetStats) {
  const { policy } = target;
  return {
    id: target.target,
    name: target.target,
    type: typeOf(target),
    endpoint: target.url,
    config: {
      timeout: policy.timeoutMs * MS_TO_NS,
      retry_attempts: policy.retry.maxAttempts - 1,
      retry_delay: policy.retry.initialBackoffMs * MS_TO_NS,
    },
    status: healthOf(target),
    last_healthy: iso(target.lastDeliveredAt),
    ...(target.lastError ? { last_error: target.lastError } : {}),
    error_count: target.failuresInARow,
    rules: rulesOf(target),
    metrics: targetMetrics(target),
    // Ours.
    url: target.url,
    format: target.format,
    mode: target.mode,
    routes: target.lanes.map((l) => l.route),
    circuit: target.circuit,
    queue: { held: target.inFlight, capacity: target.capacity },
    counts: {
      accepted: target.accepted,
      delivered: target.delivered,
      dead_lettered: target.deadLettered,
      returned: target.returned,
      in_flight: target.inFlight,
    },
    policy: {
      timeout_ms: policy.timeoutMs,
      max_attempts: policy.retry.maxAttempts,
      initial_backoff_ms: policy.retry.initialBackoffMs,
      max_backoff_ms: policy.retry.maxBackoffMs,
      retry_on: policy.retry.retryOn ?? null,
    },
    ...(target.lastErrorAt ? { last_error_at: iso(target.lastErrorAt) } : {}),
  };
}

/** GET /api/v1/forwarding/targets: every target by id, as the reference lists them. */
export function targetsView(stats: ForwardingStats): Record<string, ReturnType<typeof targetView>> {
  return Object.fromEntries(stats.targets.map((t) => [t.target, targetView(t)]));
}

/**
 * GET /api/v1/forwarding/metrics: the reference's totals (an event counted once per target it
 * went to), with dropped_events the ones dead-lettered for lack of room, and ours beside them.
 */
export function metricsView(stats: ForwardingStats, deadLetterTotals: ReadonlyMap<string, number>, now = Date.now()) {
  const sum = (pick: (t: TargetStats) => number) => stats.targets.reduce((total, t) => total + pick(t), 0);
  let dropped = 0;
  for (const [key, count] of deadLetterTotals) if (key.endsWith('\u0000queue_full')) dropped += count;
  return {
    total_events: sum((t) => t.accepted),
    forwarded_events: sum((t) => t.delivered),
    failed_events: sum((t) => t.deadLettered),
    dropped_events: dropped,
    target_metrics: Object.fromEntries(stats.targets.map((t) => [t.target, targetMetrics(t)])),
    last_updated: iso(now),
    // Ours.
    in_flight: sum((t) => t.inFlight),
    returned: sum((t) => t.returned),
    skipped_on_path: stats.skippedOnPath,
    skipped_hop_limit: stats.skippedHopLimit,
  };
}
