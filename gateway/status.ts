// What the gateway knows about itself: lifecycle phase, readiness, health and counters. Read by
// /health, /ready, GetHealth and GetMetrics alike, so they never disagree.
import type { EventLog } from './log/event-log.js';
import type { SubscriberRegistry } from './subscribers/subscriber-registry.js';
import type { Subscriptions } from './subscribers/subscriptions.js';

export type Phase = 'starting' | 'ready' | 'draining' | 'stopped';
export type Listener = 'http' | 'grpc' | 'health';
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface GatewayCounts {
  accepted: number;
  dispatched: number;
  streamed: number;
  forwarded: number;
  errors: number;
  activeStreams: number;
}

/** The counts GetServerStats and GetMetrics both report, under the reference's field names. */
interface EventCounts {
  total_events: number;
  stream_events: number;
  forwarded_events: number;
  error_events: number;
  active_streams: number;
}

/** Counters in the Go reference server's ServerStats shape (/health `stats`, GET /api/v1/stats). */
export interface ServerStats extends EventCounts {
  /** RFC 3339. */
  start_time: string;
}

/** mcp.v1.MetricsResponse: GetMetrics, and GET /api/v1/metrics as JSON. */
export interface MetricsReport extends EventCounts {
  /** Milliseconds, as the reference reports it. */
  uptime: number;
}

/** The event log as a pod reports it (/ready, /health). */
export interface LogReport {
  kind: 'memory' | 'jetstream';
  /** The stream name, or 'memory'. */
  name: string;
  connected: boolean;
}

export interface GatewayStatusDeps {
  log: EventLog;
  ingest: { readonly errors: number };
  registry: SubscriberRegistry;
  subscriptions: Subscriptions;
  version: string;
  /** Events forwarded to peers and targets; wired by the forwarding layer. */
  forwarded?: () => number;
  now?: () => number;
}

/** Buffer fill above which the gateway reports itself degraded. */
const DEGRADED_BUFFER_RATIO = 0.9;

export class GatewayStatus {
  phase: Phase = 'starting';
  readonly version: string;
  private readonly listening = new Set<Listener>();
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly deps: GatewayStatusDeps) {
    this.version = deps.version;
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
  }

  markListening(listener: Listener): void {
    this.listening.add(listener);
  }

  /** Ready: every server listens and the log takes events (open, and with JetStream connected). */
  isReady(): boolean {
    return this.phase === 'ready' && this.listening.size === 3 && this.deps.log.accepting;
  }

  log(): LogReport {
    const { kind, name, connected } = this.deps.log.state();
    return { kind, name, connected };
  }

  uptimeMs(): number {
    return this.now() - this.startedAt;
  }

  uptimeSeconds(): number {
    return Math.floor(this.uptimeMs() / 1000);
  }

  health(): { status: HealthStatus; details: Record<string, string> } {
    const log = this.deps.log.state();
    const utilization = log.pending / log.capacity;
    const status: HealthStatus =
      this.phase === 'stopped' || this.phase === 'starting'
        ? 'unhealthy'
        : this.phase === 'draining' || utilization > DEGRADED_BUFFER_RATIO || !log.connected
          ? 'degraded'
          : 'healthy';
    const state = (listener: Listener) => (this.listening.has(listener) ? 'running' : 'stopped');
    return {
      status,
      details: {
        phase: this.phase,
        http_server: state('http'),
        grpc_server: state('grpc'),
        health_server: state('health'),
        event_queue: utilization > DEGRADED_BUFFER_RATIO ? 'saturated' : 'healthy',
        buffer_utilization: utilization.toFixed(3),
        event_log: `${log.kind}${log.kind === 'jetstream' ? ` ${log.name}` : ''}: ${log.connected ? 'connected' : 'disconnected'}`,
        active_streams: String(this.deps.subscriptions.activeStreams),
        version: this.version,
      },
    };
  }

  stats(): ServerStats {
    return { ...this.eventCounts(), start_time: new Date(this.startedAt).toISOString() };
  }

  metrics(): MetricsReport {
    return { ...this.eventCounts(), uptime: this.uptimeMs() };
  }

  private eventCounts(): EventCounts {
    const counts = this.counts();
    return {
      total_events: counts.accepted,
      stream_events: counts.streamed,
      forwarded_events: counts.forwarded,
      error_events: counts.errors,
      active_streams: counts.activeStreams,
    };
  }

  counts(): GatewayCounts {
    const { log, ingest, registry, subscriptions } = this.deps;
    const delivered = registry.stats().delivered;
    const { accepted, dispatched } = log.state();
    return {
      accepted,
      dispatched,
      streamed: Object.values(delivered).reduce((sum, n) => sum + n, 0),
      forwarded: this.deps.forwarded?.() ?? 0,
      errors: ingest.errors,
      activeStreams: subscriptions.activeStreams,
    };
  }
}
