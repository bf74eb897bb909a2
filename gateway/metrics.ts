// Gateway metrics. The seed's five names are kept exactly; the rest show what an operator of the
// gateway needs to see: rejections by reason, cut-off subscribers, queue depths, the event log.
// Components do not see this object: each reports through its own narrow observer, adapted here.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestMethod, IngestObserver } from './ingest/ingest-service.js';
import type { ForwardingCounts } from './forwarding/forwarder.js';
import type { LogState } from './log/event-log.js';

export interface GatewayMetrics {
  registry: Registry;
  eventsTotal: Counter<'method' | 'status'>;
  eventsRejected: Counter<'method' | 'reason'>;
  eventsDispatched: Counter;
  eventsDuplicate: Counter<'method'>;
  forwardEvents: Counter<'target' | 'outcome'>;
  forwardInFlight: Gauge<'target'>;
  forwardAttempts: Counter<'target' | 'result'>;
  forwardSkipped: Counter<'reason'>;
  circuitState: Gauge<'target'>;
  deadLetters: Counter<'target' | 'reason'>;
  deadLettersHeld: Gauge;
  kubernetesEvents: Counter<'outcome'>;
  eventSize: Histogram;
  activeConnections: Gauge<'type'>;
  forwardDuration: Histogram<'target'>;
  forwardBatchEvents: Histogram<'target'>;
  bufferUtilization: Gauge;
  bufferDepth: Gauge;
  subscribers: Gauge<'kind'>;
  subscriberQueueDepth: Gauge;
  subscribersCutOff: Counter<'kind'>;
  subscriberEventsDelivered: Counter<'kind'>;
  streamsRefused: Counter<'reason'>;
  /** Requests refused before their content was looked at: no or bad credentials. */
  authFailures: Counter<'ingress' | 'reason'>;
  rateLimit: Counter<'scope' | 'outcome'>;
  signatureChecks: Counter<'outcome'>;
  historyEvents: Gauge;
  rateLimitClients: Gauge;
  logConnected: Gauge;
  subscribersReading: Gauge;
  subscribersFellBehind: Counter<'kind'>;
}

export interface GatewayGaugeSources {
  log(): LogState;
  subscriberQueueDepth(): number;
  /** Subscribers reading the log at their own pace instead of the live fan-out. */
  subscribersReading(): number;
  /** Events held for replay and catch-up (the memory log's ring, or the stream's messages). */
  historyEvents(): number;
  /** Events written to subscriber streams, by kind; counted as plain numbers on the hot path. */
  subscriberDelivered(): Record<string, number>;
  forwarding(): ForwardingCounts;
  deadLetterTotals(): Map<string, number>;
  /** Dead letters held in the store, as last read (the shared log's store answers asynchronously). */
  deadLettersHeld(): number;
  /** The Event recorder's counts, when Kubernetes Events are on. */
  kubernetesEvents?():
    | { recorded: number; dropped: number; failed: number; written: number; eventsCreated: number; seriesUpdates: number; throttled: number }
    | undefined;
  /** Clients with a per-client rate-limit bucket (bounded by limits.clientRateLimit.maxClients). */
  rateLimitClients?(): number;
}

const CIRCUIT_VALUES: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

/** Sums per-target rows: several routes may share one target id. */
function sumBy<T>(rows: T[], key: (row: T) => string, value: (row: T) => number): Map<string, number> {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + value(row));
  return sums;
}

export function createGatewayMetrics(sources: GatewayGaugeSources, registry = new Registry()): GatewayMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'tas_mcp_' });
  return {
    registry,
    eventsTotal: new Counter({
      name: 'tas_mcp_events_total',
      help: 'Events received, by ingress method and outcome (success = accepted).',
      labelNames: ['method', 'status'],
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'tas_mcp_events_rejected_total',
      help: 'Events refused at ingress, by reason.',
      labelNames: ['method', 'reason'],
      registers: [registry],
    }),
    eventsDispatched: new Counter({
      name: 'tas_mcp_events_dispatched_total',
      help: 'Events taken from the buffer and fanned out to subscribers and history.',
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'tas_mcp_events_duplicate_total',
      help: 'Events acknowledged as duplicates of a recently accepted event_id and not dispatched again.',
      labelNames: ['method'],
      registers: [registry],
    }),
    forwardEvents: new Counter({
      name: 'tas_mcp_forward_events_total',
      help: 'Events per forwarding target by outcome; accepted = delivered + dead_lettered + tas_mcp_forward_in_flight.',
      labelNames: ['target', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        const rows = sources.forwarding().targets;
        for (const [outcome, pick] of [
          ['accepted', (r: (typeof rows)[number]) => r.accepted],
          ['delivered', (r: (typeof rows)[number]) => r.delivered],
          ['dead_lettered', (r: (typeof rows)[number]) => r.deadLettered],
          ['returned', (r: (typeof rows)[number]) => r.returned],
        ] as const) {
          for (const [target, value] of sumBy(rows, (r) => r.target, pick)) this.inc({ target, outcome }, value);
        }
      },
    }),
    forwardInFlight: new Gauge({
      name: 'tas_mcp_forward_in_flight',
      help: 'Events held for a target: queued, being sent, or waiting to retry.',
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [target, value] of sumBy(
          sources.forwarding().targets,
          (r) => r.target,
          (r) => r.inFlight,
        ))
          this.set({ target }, value);
      },
    }),
    forwardAttempts: new Counter({
      name: 'tas_mcp_forward_attempts_total',
      help: 'Delivery attempts per event by result: delivered, retry (will try again or gave up), failed (refused).',
      labelNames: ['target', 'result'],
      registers: [registry],
    }),
    forwardSkipped: new Counter({
      name: 'tas_mcp_forward_skipped_total',
      help: "Forwards not made: the target was already on the event's path, or the hop limit was reached.",
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        const stats = sources.forwarding();
        this.inc({ reason: 'on_path' }, stats.skippedOnPath);
        this.inc({ reason: 'hop_limit' }, stats.skippedHopLimit);
      },
    }),
    circuitState: new Gauge({
      name: 'tas_mcp_forward_circuit_state',
      help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open.',
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset();
        for (const row of sources.forwarding().targets) this.set({ target: row.target }, CIRCUIT_VALUES[row.circuit] ?? 0);
      },
    }),
    deadLetters: new Counter({
      name: 'tas_mcp_dead_letters_total',
      help: 'Events dead-lettered, by target and reason.',
      labelNames: ['target', 'reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, value] of sources.deadLetterTotals()) {
          const [target, reason] = key.split('\u0000') as [string, string];
          this.inc({ target, reason }, value);
        }
      },
    }),
    deadLettersHeld: new Gauge({
      name: 'tas_mcp_dead_letters_held',
      help: 'Dead letters held for listing and redrive (in memory, or in the dead-letter stream).',
      registers: [registry],
      collect() {
        this.set(sources.deadLettersHeld());
      },
    }),
    kubernetesEvents: new Counter({
      name: 'tas_mcp_kubernetes_events_total',
      help: 'Occurrences given to the Kubernetes Event recorder (recorded), written into Events (written), lost (dropped, failed); API writes (creates, series_updates) and 429s (throttled).',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        const stats = sources.kubernetesEvents?.();
        if (!stats) return;
        this.inc({ outcome: 'recorded' }, stats.recorded);
        this.inc({ outcome: 'written' }, stats.written);
        this.inc({ outcome: 'dropped' }, stats.dropped);
        this.inc({ outcome: 'failed' }, stats.failed);
        this.inc({ outcome: 'creates' }, stats.eventsCreated);
        this.inc({ outcome: 'series_updates' }, stats.seriesUpdates);
        this.inc({ outcome: 'throttled' }, stats.throttled);
      },
    }),
    eventSize: new Histogram({
      name: 'tas_mcp_event_size_bytes',
      help: 'Size of accepted events in bytes.',
      buckets: [128, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
      registers: [registry],
    }),
    activeConnections: new Gauge({
      name: 'tas_mcp_active_connections',
      help: 'Open streams by transport (grpc_stream, websocket); together they count against MAX_CONNECTIONS.',
      labelNames: ['type'],
      registers: [registry],
    }),
    forwardDuration: new Histogram({
      name: 'tas_mcp_forward_duration_seconds',
      help: 'Time of one forwarding request to a target (one event, or a batch), from sending to its answer.',
      labelNames: ['target'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    forwardBatchEvents: new Histogram({
      name: 'tas_mcp_forward_batch_events',
      help: 'Events per forwarding request to a target.',
      labelNames: ['target'],
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    bufferUtilization: new Gauge({
      name: 'tas_mcp_buffer_utilization_ratio',
      help: 'Fill of the ingest buffer (accepted, not yet stored and fanned out, or awaiting the store) from 0 to 1.',
      registers: [registry],
      collect() {
        const { pending, capacity } = sources.log();
        this.set(pending / capacity);
      },
    }),
    bufferDepth: new Gauge({
      name: 'tas_mcp_buffer_events',
      help: 'Events in the ingest buffer.',
      registers: [registry],
      collect() {
        this.set(sources.log().pending);
      },
    }),
    subscribers: new Gauge({
      name: 'tas_mcp_subscribers',
      help: 'Live subscribers, by kind of stream.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    subscriberQueueDepth: new Gauge({
      name: 'tas_mcp_subscriber_queue_events',
      help: 'Events queued for subscribers, summed over all subscribers.',
      registers: [registry],
      collect() {
        this.set(sources.subscriberQueueDepth());
      },
    }),
    subscribersCutOff: new Counter({
      name: 'tas_mcp_subscribers_cut_off_total',
      help: 'Subscribers ended with RESOURCE_EXHAUSTED because the log no longer held their next event.',
      labelNames: ['kind'],
      registers: [registry],
    }),
    subscriberEventsDelivered: new Counter({
      name: 'tas_mcp_subscriber_events_delivered_total',
      help: 'Events written to subscriber streams.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, count] of Object.entries(sources.subscriberDelivered())) this.inc({ kind }, count);
      },
    }),
    streamsRefused: new Counter({
      name: 'tas_mcp_streams_refused_total',
      help: 'Streams refused at open, by reason (max_connections, draining, invalid).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'tas_mcp_auth_failures_total',
      help: 'Requests and streams refused for missing or bad credentials (401 / UNAUTHENTICATED), by ingress and reason.',
      labelNames: ['ingress', 'reason'],
      registers: [registry],
    }),
    rateLimit: new Counter({
      name: 'tas_mcp_rate_limit_total',
      help: 'Events checked against a rate limit, by scope (gateway, client) and outcome (allowed, limited).',
      labelNames: ['scope', 'outcome'],
      registers: [registry],
    }),
    signatureChecks: new Counter({
      name: 'tas_mcp_federation_signatures_total',
      help: 'Federation signatures checked at ingest, by outcome (valid, unsigned, unknown_key_id, bad_signature).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    historyEvents: new Gauge({
      name: 'tas_mcp_history_events',
      help: 'Events held for replay and catch-up (memory log ring, or the JetStream stream).',
      registers: [registry],
      collect() {
        this.set(sources.historyEvents());
      },
    }),
    rateLimitClients: new Gauge({
      name: 'tas_mcp_rate_limit_clients',
      help: 'Clients with a per-client rate-limit bucket; bounded, the least recently seen is forgotten first.',
      registers: [registry],
      collect() {
        this.set(sources.rateLimitClients?.() ?? 0);
      },
    }),
    logConnected: new Gauge({
      name: 'tas_mcp_log_connected',
      help: 'Whether the event log is reachable and taking events (1) or not (0); with the memory log, always 1 while running.',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        const { kind, connected } = sources.log();
        this.set({ kind }, connected ? 1 : 0);
      },
    }),
    subscribersReading: new Gauge({
      name: 'tas_mcp_subscribers_reading',
      help: 'Subscribers reading the log at their own pace after falling behind the live fan-out.',
      registers: [registry],
      collect() {
        this.set(sources.subscribersReading());
      },
    }),
    subscribersFellBehind: new Counter({
      name: 'tas_mcp_subscribers_fell_behind_total',
      help: 'Times a subscriber fell behind its queue and switched to reading the log, by kind of stream.',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}

/** Ingest outcomes as metrics. */
export function ingestMetrics(metrics: GatewayMetrics): IngestObserver {
  return {
    accepted(method: IngestMethod, size: number) {
      metrics.eventsTotal.inc({ method, status: 'success' });
      metrics.eventSize.observe(size);
    },
    failed(method, reason, count) {
      metrics.eventsTotal.inc({ method, status: 'error' }, count);
      metrics.eventsRejected.inc({ method, reason }, count);
    },
    duplicate(method) {
      metrics.eventsDuplicate.inc({ method });
    },
    signatureChecked(outcome) {
      metrics.signatureChecks.inc({ outcome });
    },
    rateLimitChecked(scope, outcome, count) {
      metrics.rateLimit.inc({ scope, outcome }, count);
    },
  };
}
