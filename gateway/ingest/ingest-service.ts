// The one path every event takes into the gateway, whichever ingress it came through:
// validate at the edge, check who may send it (federation signature, tenant), admit (intake
// open, rate limits, buffer space), publish to the bus, count.
import type { McpEvent, SignatureCheck } from '../../src/event/index.js';
import { carriesFederationMetadata, isSigned, validateEvent, type RejectReason } from '../../src/event/index.js';
import type { GatewayMetrics, IngestMethod } from '../../src/observability/metrics.js';
import type { Caller } from '../auth/caller.js';
import type { EventBus } from '../bus/event-bus.js';
import type { RecentIds } from '../forwarding/recent-ids.js';
import { ClientRateLimiter } from '../../src/limits/client-rate-limiter.js';
import { TokenBucket } from '../../src/limits/token-bucket.js';

export type RefusalReason = 'buffer_full' | 'rate_limited' | 'unavailable';

/** The caller may not send this event: another tenant's (403), or a federation signature that is
 * missing or does not verify (401). */
export type DenialReason = 'tenant_mismatch' | Exclude<SignatureCheck, 'valid'>;

/** The metadata key a caller's tenant binds. */
export const TENANT_KEY = 'tenant_id';

export interface IngestContext {
  /** The subscriber id of the stream it came on: its own events are not echoed back to it. */
  origin?: string | undefined;
  /** Who sent it; undefined = anonymous, unbound. */
  caller?: Caller | undefined;
}

/** Checks federation signatures (gateway/federation/event-signing.ts). */
export interface SignatureChecker {
  check(event: McpEvent): SignatureCheck;
}

export type IngestOutcome =
  | { status: 'accepted'; event: McpEvent }
  /** Seen before (another path, or a producer's retry): acknowledged, not dispatched again. */
  | { status: 'duplicate'; event: McpEvent }
  /** The event itself is wrong: do not retry it as it is. */
  | { status: 'rejected'; reason: RejectReason; field: string; message: string }
  /** The gateway cannot take it now: retry after `retryAfterSeconds`. */
  | { status: 'refused'; reason: RefusalReason; message: string; retryAfterSeconds: number }
  /** This caller may not send this event: do not retry it. */
  | { status: 'denied'; reason: DenialReason; message: string };

/** An outcome that is not a success: the event was not taken. */
export type IngestFailure = Extract<IngestOutcome, { status: 'rejected' | 'refused' | 'denied' }>;

export function isFailure(outcome: IngestOutcome | BatchOutcome): outcome is IngestFailure {
  return outcome.status === 'rejected' || outcome.status === 'refused' || outcome.status === 'denied';
}

export type BatchOutcome =
  | { status: 'accepted'; events: McpEvent[]; duplicates: number }
  | { status: 'rejected'; reason: RejectReason; field: string; message: string }
  | { status: 'refused'; reason: RefusalReason; message: string; retryAfterSeconds: number }
  | { status: 'denied'; reason: DenialReason; message: string };

export interface IngestServiceOptions {
  bus: EventBus;
  metrics: GatewayMetrics;
  maxEventSize: number;
  rateLimit: { eventsPerSecond: number; burst?: number | undefined };
  /** Per caller (Caller.id); 0 events per second disables it. */
  clientRateLimit?: { eventsPerSecond: number; burst?: number | undefined; maxClients: number };
  /** Verifies federation signatures; without it signatures are carried but not checked. */
  signatures?: SignatureChecker | undefined;
  /** Refuse events carrying federation metadata unless their signature verifies. */
  requireSignatures?: boolean;
  /** Recently accepted ids; a repeated id is acknowledged as a duplicate and not dispatched. */
  recentIds?: RecentIds;
  now?: () => number;
}

export class IngestService {
  private readonly bus: EventBus;
  private readonly metrics: GatewayMetrics;
  private readonly validateOptions: { maxEventSize: number; now: () => number };
  private readonly limiter: TokenBucket | undefined;
  private readonly clientLimiter: ClientRateLimiter | undefined;
  private readonly signatures: SignatureChecker | undefined;
  private readonly requireSignatures: boolean;
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
    const perClient = options.clientRateLimit;
    this.clientLimiter =
      perClient && perClient.eventsPerSecond > 0
        ? new ClientRateLimiter({
            eventsPerSecond: perClient.eventsPerSecond,
            burst: perClient.burst ?? Math.max(1, Math.ceil(perClient.eventsPerSecond)),
            maxClients: perClient.maxClients,
            now,
          })
        : undefined;
    this.signatures = options.signatures;
    this.requireSignatures = options.requireSignatures ?? false;
  }

  /** Callers with a rate-limit bucket right now (bounded by maxClients). */
  get trackedClients(): number {
    return this.clientLimiter?.size ?? 0;
  }

  ingest(input: unknown, method: IngestMethod, context: IngestContext = {}): IngestOutcome {
    const closed = this.refuseIfClosed(method);
    if (closed) return closed;
    const validation = validateEvent(input, this.validateOptions);
    if (!validation.ok) return this.reject(method, validation);
    const permitted = this.permit(validation.event, context.caller, method);
    if (permitted.status === 'denied') return permitted;
    const limited = this.refuseIfLimited(method, 1, context.caller);
    if (limited) return limited;
    const event = permitted.event;
    if (this.isDuplicate(event, method)) return { status: 'duplicate', event };
    const result = this.bus.publish(event, context.origin);
    if (result !== 'accepted') {
      this.recentIds?.forget(event.event_id);
      return this.refuse(method, result === 'closed' ? 'unavailable' : 'buffer_full', 1);
    }
    this.count(method, validation.size);
    return { status: 'accepted', event };
  }

  /** All or nothing: every event valid and room for all of them, or none is taken. */
  ingestBatch(inputs: readonly unknown[], method: IngestMethod, context: IngestContext = {}): BatchOutcome {
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
      const permitted = this.permit(validation.event, context.caller, method, `events[${i}]`);
      if (permitted.status === 'denied') return permitted;
      events.push(permitted.event);
      sizes.push(validation.size);
    }
    if (!this.bus.hasRoomFor(events.length)) return this.refuse(method, 'buffer_full', events.length);
    const limited = this.refuseIfLimited(method, events.length, context.caller);
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

  /**
   * Who may send what: an event from a peer (authenticated by its signature alone) must verify;
   * so must one carrying federation metadata when signatures are required; a signed event is
   * checked whenever keys are held (without keys, signatures are carried unchecked); a caller bound to a
   * tenant may only send that tenant's events, and events without a tenant are stamped with it.
   */
  private permit(event: McpEvent, caller: Caller | undefined, method: IngestMethod, where = 'event'):
    | { status: 'permitted'; event: McpEvent }
    | Extract<IngestOutcome, { status: 'denied' }> {
    const mustVerify =
      caller?.kind === 'peer' || (this.signatures !== undefined && (this.requireSignatures ? carriesFederationMetadata(event) : isSigned(event)));
    if (mustVerify) {
      const check = this.signatures ? this.signatures.check(event) : 'unknown_key_id';
      this.metrics.signatureChecks.inc({ outcome: check });
      if (check !== 'valid') {
        const messages: Record<Exclude<SignatureCheck, 'valid'>, string> = {
          unsigned: `${where}: carries federation metadata but no signature (mcpsig, mcpkid); this gateway requires signed federation`,
          unknown_key_id: `${where}: is signed with a key id this gateway does not hold`,
          bad_signature: `${where}: its signature does not match its contents`,
        };
        return this.deny(method, check, messages[check]);
      }
    }
    const tenant = caller?.tenant;
    if (tenant === undefined) return { status: 'permitted', event };
    const claimed = event.metadata[TENANT_KEY];
    if (claimed === undefined) return { status: 'permitted', event: { ...event, metadata: { ...event.metadata, [TENANT_KEY]: tenant } } };
    if (claimed !== tenant) {
      return this.deny(method, 'tenant_mismatch', `${where}: metadata.${TENANT_KEY} ${JSON.stringify(claimed.slice(0, 128))} is not the tenant your credentials are bound to (${JSON.stringify(tenant)})`);
    }
    return { status: 'permitted', event };
  }

  private deny(method: IngestMethod, reason: DenialReason, message: string) {
    this.errors++;
    this.metrics.eventsTotal.inc({ method, status: 'error' });
    this.metrics.eventsRejected.inc({ method, reason });
    return { status: 'denied' as const, reason, message };
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

  private refuseIfLimited(method: IngestMethod, count: number, caller: Caller | undefined) {
    if (this.clientLimiter && caller) {
      const waitSeconds = this.clientLimiter.take(caller.id, count);
      this.metrics.rateLimit.inc({ scope: 'client', outcome: waitSeconds === 0 ? 'allowed' : 'limited' }, count);
      if (waitSeconds > 0) return this.refuse(method, 'rate_limited', count, waitSeconds, 'client');
    }
    if (!this.limiter) return undefined;
    const taken = this.limiter.tryTake(count);
    this.metrics.rateLimit.inc({ scope: 'gateway', outcome: taken ? 'allowed' : 'limited' }, count);
    return taken ? undefined : this.refuse(method, 'rate_limited', count);
  }

  private reject(method: IngestMethod, failure: { reason: RejectReason; field: string; message: string }) {
    this.errors++;
    this.metrics.eventsTotal.inc({ method, status: 'error' });
    this.metrics.eventsRejected.inc({ method, reason: failure.reason });
    return { status: 'rejected' as const, reason: failure.reason, field: failure.field, message: failure.message };
  }

  private refuse(method: IngestMethod, reason: RefusalReason, count: number, waitSeconds?: number, scope: 'gateway' | 'client' = 'gateway') {
    this.errors += count;
    this.metrics.eventsTotal.inc({ method, status: 'error' }, count);
    this.metrics.eventsRejected.inc({ method, reason }, count);
    const messages: Record<RefusalReason, string> = {
      buffer_full: `the ingest buffer is full (BUFFER_SIZE ${this.bus.capacity}); retry later`,
      rate_limited: scope === 'client' ? 'your rate limit (per client) is exceeded; retry later' : 'the ingest rate limit is exceeded; retry later',
      unavailable: 'the gateway is shutting down and takes no new events',
    };
    const retryAfterSeconds = waitSeconds ?? (reason === 'rate_limited' ? this.limiter!.secondsUntil(count) : 1);
    return { status: 'refused' as const, reason, message: messages[reason], retryAfterSeconds };
  }
}
