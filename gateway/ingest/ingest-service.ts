// The one path every event takes into the gateway, whichever ingress it came through:
// validate at the edge, admit (intake open, rate limit, buffer space), publish to the bus, count.
import type { McpEvent } from '../../src/event/index.js';
import { validateEvent, type RejectReason } from '../../src/event/index.js';
import type { GatewayMetrics, IngestMethod } from '../../src/observability/metrics.js';
import type { EventBus } from '../bus/event-bus.js';
import type { RecentIds } from '../forwarding/recent-ids.js';
import { TokenBucket } from '../../src/limits/token-bucket.js';

export type RefusalReason = 'buffer_full' | 'rate_limited' | 'unavailable';

export type IngestOutcome =
  | { status: 'accepted'; event: McpEvent }
  /** Seen before (another path, or a producer's retry): acknowledged, not dispatched again. */
  | { status: 'duplicate'; event: McpEvent }
  /** The event itself is wrong: do not retry it as it is. */
  | { status: 'rejected'; reason: RejectReason; field: string; message: string }
  /** The gateway cannot take it now: retry after `retryAfterSeconds`. */
  | { status: 'refused'; reason: RefusalReason; message: string; retryAfterSeconds: number };

/** An outcome that is not a success: the event was not taken. */
export type IngestFailure = Extract<IngestOutcome, { status: 'rejected' | 'refused' }>;

export function isFailure(outcome: IngestOutcome | BatchOutcome): outcome is IngestFailure {
  return outcome.status === 'rejected' || outcome.status === 'refused';
}

export type BatchOutcome =
  | { status: 'accepted'; events: McpEvent[]; duplicates: number }
  | { status: 'rejected'; reason: RejectReason; field: string; message: string }
  | { status: 'refused'; reason: RefusalReason; message: string; retryAfterSeconds: number };

export interface IngestServiceOptions {
  bus: EventBus;
  metrics: GatewayMetrics;
  maxEventSize: number;
  rateLimit: { eventsPerSecond: number; burst?: number | undefined };
  /** Recently accepted ids; a repeated id is acknowledged as a duplicate and not dispatched. */
  recentIds?: RecentIds;
  now?: () => number;
}

export class IngestService {
  private readonly bus: EventBus;
  private readonly metrics: GatewayMetrics;
  private readonly validateOptions: { maxEventSize: number; now: () => number };
  private readonly limiter: TokenBucket | undefined;
  private readonly recentIds: RecentIds | undefined;
  /** Events refused or rejected, for GetMetrics. */
  errors = 0;

  constructor(options: IngestServiceOptions) {
    this.bus = options.bus;
    this.metrics = options.metrics;
    const now = options.now ?? Date.now;
    this.validateOptions = { maxEventSize: options.maxEventSize, now };
    this.recentIds = options.recentIds;
    const { eventsPerSecond, burst } = options.rateLimit;
    this.limiter =
      eventsPerSecond > 0 ? new TokenBucket(eventsPerSecond, burst ?? Math.max(1, Math.ceil(eventsPerSecond)), now) : undefined;
  }

  ingest(input: unknown, method: IngestMethod, origin?: string): IngestOutcome {
    const closed = this.refuseIfClosed(method);
    if (closed) return closed;
    const validation = validateEvent(input, this.validateOptions);
    if (!validation.ok) return this.reject(method, validation);
    const limited = this.refuseIfLimited(method, 1);
    if (limited) return limited;
    const event = validation.event;
    if (this.isDuplicate(event, method)) return { status: 'duplicate', event };
    const result = this.bus.publish(event, origin);
    if (result !== 'accepted') {
      this.recentIds?.forget(event.event_id);
      return this.refuse(method, result === 'closed' ? 'unavailable' : 'buffer_full', 1);
    }
    this.count(method, validation.size);
    return { status: 'accepted', event };
  }

  /** All or nothing: every event valid and room for all of them, or none is taken. */
  ingestBatch(inputs: readonly unknown[], method: IngestMethod): BatchOutcome {
    const closed = this.refuseIfClosed(method);
    if (closed) return closed;
    if (inputs.length > this.bus.capacity) {
      // It could never fit, so "retry later" would be a lie.
      return this.reject(method, {
        reason: 'too_large',
        field: 'events',
        message: `events: a batch of ${inputs.length} can never fit the ingest buffer (BUFFER_SIZE ${this.bus.capacity})`,
      });
    }
    const events: McpEvent[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const validation = validateEvent(inputs[i], this.validateOptions, `events[${i}].`);
      if (!validation.ok) return this.reject(method, validation);
      events.push(validation.event);
      sizes.push(validation.size);
    }
    if (!this.bus.hasRoomFor(events.length)) return this.refuse(method, 'buffer_full', events.length);
    const limited = this.refuseIfLimited(method, events.length);
    if (limited) return limited;
    let duplicates = 0;
    events.forEach((event, i) => {
      if (this.isDuplicate(event, method)) {
        duplicates++;
        return;
      }
      this.bus.publish(event);
      this.count(method, sizes[i]!);
    });
    return { status: 'accepted', events, duplicates };
  }

  private isDuplicate(event: McpEvent, method: IngestMethod): boolean {
    if (!this.recentIds?.checkAndRemember(event.event_id)) return false;
    this.metrics.eventsDuplicate.inc({ method });
    return true;
  }

  private count(method: IngestMethod, size: number): void {
    this.metrics.eventsTotal.inc({ method, status: 'success' });
    this.metrics.eventSize.observe(size);
  }

  private refuseIfClosed(method: IngestMethod) {
    return this.bus.isOpen ? undefined : this.refuse(method, 'unavailable', 1);
  }

  private refuseIfLimited(method: IngestMethod, count: number) {
    if (!this.limiter || this.limiter.tryTake(count)) return undefined;
    return this.refuse(method, 'rate_limited', count);
  }

  private reject(method: IngestMethod, failure: { reason: RejectReason; field: string; message: string }) {
    this.errors++;
    this.metrics.eventsTotal.inc({ method, status: 'error' });
    this.metrics.eventsRejected.inc({ method, reason: failure.reason });
    return { status: 'rejected' as const, reason: failure.reason, field: failure.field, message: failure.message };
  }

  private refuse(method: IngestMethod, reason: RefusalReason, count: number) {
    this.errors += count;
    this.metrics.eventsTotal.inc({ method, status: 'error' }, count);
    this.metrics.eventsRejected.inc({ method, reason }, count);
    const messages: Record<RefusalReason, string> = {
      buffer_full: `the ingest buffer is full (BUFFER_SIZE ${this.bus.capacity}); retry later`,
      rate_limited: 'the ingest rate limit is exceeded; retry later',
      unavailable: 'the gateway is shutting down and takes no new events',
    };
    const retryAfterSeconds = reason === 'rate_limited' ? this.limiter!.secondsUntil(count) : 1;
    return { status: 'refused' as const, reason, message: messages[reason], retryAfterSeconds };
  }
}
