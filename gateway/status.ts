// What the gateway knows about itself: lifecycle phase, readiness, health and counters. Read by
// /health, /ready, GetHealth and GetMetrics alike, so they never disagree.
import type { EventBus } from './bus/event-bus.js';
import type { SubscriberRegistry } from './bus/subscriber-registry.js';
import type { Subscriptions } from './bus/subscriptions.js';
import type { IngestService } from './ingest/ingest-service.js';

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

export interface GatewayStatusDeps {
  bus: EventBus;
  ingest: IngestService;
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

  /** Ready: every server listens and intake is open. */
  isReady(): boolean {
    return this.phase === 'ready' && this.listening.size === 3 && this.deps.bus.isOpen;
  }

  uptimeSeconds(): number {
    return Math.floor((this.now() - this.startedAt) / 1000);
  }

  health(): { status: HealthStatus; details: Record<string, string> } {
    const { bus } = this.deps;
    const utilization = bus.depth / bus.capacity;
    const status: HealthStatus =
      this.phase === 'stopped' || this.phase === 'starting'
        ? 'unhealthy'
        : this.phase === 'draining' || utilization > DEGRADED_BUFFER_RATIO
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
        active_streams: String(this.deps.subscriptions.activeStreams),
        version: this.version,
      },
    };
  }

  counts(): GatewayCounts {
    const { bus, ingest, registry, subscriptions } = this.deps;
    const delivered = registry.stats().delivered;
    return {
      accepted: bus.accepted,
      dispatched: bus.dispatched,
      streamed: Object.values(delivered).reduce((sum, n) => sum + n, 0),
      forwarded: this.deps.forwarded?.() ?? 0,
      errors: ingest.errors,
      activeStreams: subscriptions.activeStreams,
    };
  }
}
