// The one path every event takes into the gateway, whichever ingress it came through:
// validate at the edge, check who may send it (federation signature, tenant), admit (intake
// open, rate limits, room), append to the event log, count. An event is answered `accepted`
// only once the log has stored it (with JetStream: once the store acknowledged it). When the log
// has no room (a full buffer, a forwarding target behind), callers wait in turn for up to
// `admissionWaitMs` before they are refused, so a burst is slowed rather than failed.
import type { McpEvent, SignatureCheck, TraceCarrier } from '../../src/event/index.js';
import {
  TENANT_KEY,
  carriesFederationMetadata,
  isSigned,
  metadataWith,
  validateEvent,
  withMetadata,
  type RejectReason,
} from '../../src/event/index.js';
import type { Caller } from '../auth/caller.js';
import type { AppendOutcome, EventLog } from '../log/event-log.js';
import { Admission, waitForRoom } from './admission.js';
import { ClientRateLimiter } from '../../src/limits/client-rate-limiter.js';
import { TokenBucket } from '../../src/limits/token-bucket.js';

export type IngestMethod = 'http' | 'grpc' | 'websocket';

export type RefusalReason = 'buffer_full' | 'rate_limited' | 'unavailable';

/** The caller may not send this event: another tenant's (403), or a federation signature that is
 * missing or does not verify (401). */
export type DenialReason = 'tenant_mismatch' | Exclude<SignatureCheck, 'valid'>;

/** The metadata key a caller's tenant binds. */

export interface IngestContext {
  /** The subscriber id of the stream it came on: its own events are not echoed back to it. */
  origin?: string | undefined;
  /** Who sent it; undefined = anonymous, unbound. */
  caller?: Caller | undefined;
  /** The request's trace context (headers, gRPC metadata), for events that carry none of their own. */
  trace?: TraceCarrier | undefined;
  /** The caller already waited for room (a paused gRPC stream): with none now, the event is
   * refused at once instead of waiting its turn a second time. */
  waited?: boolean | undefined;
}

/** Starts each event's ingest span (gateway/tracing); given only when tracing is on. */
export interface IngestTracer {
  begin(event: McpEvent, method: IngestMethod, request: TraceCarrier | undefined): IngestSpan;
}

export interface IngestSpan {
  /** The event carrying the span's trace context (metadata traceparent/tracestate): what is stored. */
  readonly event: McpEvent;
  end(outcome: IngestOutcome): void;
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

export function isFailure(outcome: IngestOutcome): outcome is IngestFailure {
  return outcome.status === 'rejected' || outcome.status === 'refused' || outcome.status === 'denied';
}

/** Why an event was not taken, as counted; `unsupported_media_type` is an HTTP body that was not JSON. */
export type RejectionReason = RejectReason | RefusalReason | DenialReason | 'unsupported_media_type';

/** Told of every ingest outcome (metrics). */
export interface IngestObserver {
  accepted(method: IngestMethod, size: number): void;
  failed(method: IngestMethod, reason: RejectionReason, count: number): void;
  duplicate(method: IngestMethod): void;
  signatureChecked(outcome: SignatureCheck): void;
  rateLimitChecked(scope: 'gateway' | 'client', outcome: 'allowed' | 'limited', count: number): void;
}

export interface IngestServiceOptions {
  log: EventLog;
  observer: IngestObserver;
  maxEventSize: number;
  rateLimit: { eventsPerSecond: number; burst?: number | undefined };
  /** Per caller (Caller.id); 0 events per second disables it. */
  clientRateLimit?: { eventsPerSecond: number; burst?: number | undefined; maxClients: number };
  /** Verifies federation signatures; without it signatures are carried but not checked. */
  signatures?: SignatureChecker | undefined;
  /** Refuse events carrying federation metadata unless their signature verifies. */
  requireSignatures?: boolean;
  /** Ingest spans; none when tracing is off. */
  tracer?: IngestTracer | undefined;
  /** How long a caller waits for room before it is refused (0: refused at once). */
  admissionWaitMs?: number;
  now?: () => number;
}

export class IngestService {
  private readonly log: EventLog;
  private readonly observer: IngestObserver;
  private readonly validateOptions: { maxEventSize: number; now: () => number };
  private readonly limiter: TokenBucket | undefined;
  private readonly clientLimiter: ClientRateLimiter | undefined;
  private readonly signatures: SignatureChecker | undefined;
  private readonly requireSignatures: boolean;
  private readonly tracer: IngestTracer | undefined;
  private readonly admission: Admission;
  /** How long a caller waits for room before it is refused. */
  readonly admissionWaitMs: number;
  /** Events refused or rejected, for GetMetrics. */
  errors = 0;

  constructor(options: IngestServiceOptions) {
    this.log = options.log;
    this.observer = options.observer;
    const now = options.now ?? Date.now;
    this.validateOptions = { maxEventSize: options.maxEventSize, now };
    const { eventsPerSecond, burst } = options.rateLimit;
    this.limiter = eventsPerSecond > 0 ? new TokenBucket(eventsPerSecond, burst ?? Math.max(1, Math.ceil(eventsPerSecond)), now) : undefined;
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
    this.tracer = options.tracer;
    this.admissionWaitMs = options.admissionWaitMs ?? 0;
    this.admission = new Admission(options.log, this.admissionWaitMs);
  }

  /** True when events are traced: ingress reads a request's trace context only then. */
  get traced(): boolean {
    return this.tracer !== undefined;
  }

  /** A request body refused before it could be read as events (HTTP 415, bad JSON, too large). */
  countRejectedBody(method: IngestMethod, reason: Extract<RejectionReason, 'unsupported_media_type' | 'invalid' | 'too_large'>): void {
    this.errors++;
    this.observer.failed(method, reason, 1);
  }

  /** Callers with a rate-limit bucket right now (bounded by maxClients). */
  get trackedClients(): number {
    return this.clientLimiter?.size ?? 0;
  }

  /** Validates, then admits (synchronously when there is room; callers that wait are admitted in
   * the order they came), then appends: events from one caller are appended in the order this is
   * called, whatever the log. */
  async ingest(input: unknown, method: IngestMethod, context: IngestContext = {}): Promise<IngestOutcome> {
    const closed = this.refuseIfClosed(method);
    if (closed) return closed;
    const validation = validateEvent(input, this.validateOptions);
    if (!validation.ok) return this.reject(method, validation);
    const permitted = this.permit(validation.event, context.caller, method);
    if (permitted.status === 'denied') return permitted;
    const limited = this.refuseIfLimited(method, 1, context.caller);
    if (limited) return limited;
    // Not admitted in time: appended all the same, and the log answers (a repeat is a duplicate
    // even when there is no room; anything else is refused, saying where room is short).
    const admitted = context.waited ? this.admission.admitNow(1) : this.admission.admit(1);
    if (admitted !== true && admitted !== false) await admitted;
    const span = this.tracer?.begin(permitted.event, method, context.trace);
    const event = span ? span.event : permitted.event;
    // A log that answers at once saves a promise, an array and a turn of the microtask queue per event.
    const outcome = this.log.appendOne ? this.log.appendOne(event, context.origin) : (await this.log.append([event], context.origin))[0]!;
    const settled = this.settle(method, event, outcome, validation.size);
    span?.end(settled);
    return settled;
  }

  /**
   * Each event on its own: the bad ones are rejected (or denied) with what is wrong, the rest are
   * appended together in order, so one bad event never sinks the others. Rate limits take the
   * good ones in order; when the log has no room for all of them, none is appended (refused).
   */
  async ingestBatch(inputs: readonly unknown[], method: IngestMethod, context: IngestContext = {}): Promise<IngestOutcome[]> {
    const closed = this.refuseIfClosed(method, inputs.length);
    if (closed) return inputs.map(() => closed);
    const outcomes: IngestOutcome[] = new Array(inputs.length);
    const taken: { index: number; event: McpEvent; size: number }[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const validation = validateEvent(inputs[i], this.validateOptions, `events[${i}].`);
      if (!validation.ok) {
        outcomes[i] = this.reject(method, validation);
        continue;
      }
      const permitted = this.permit(validation.event, context.caller, method, `events[${i}]`);
      if (permitted.status === 'denied') {
        outcomes[i] = permitted;
        continue;
      }
      const limited = this.refuseIfLimited(method, 1, context.caller);
      if (limited) {
        outcomes[i] = limited;
        continue;
      }
      taken.push({ index: i, event: permitted.event, size: validation.size });
    }
    if (taken.length === 0) return outcomes;
    const admitted = this.admission.admit(taken.length);
    if (admitted !== true && !(admitted !== false && (await admitted))) {
      const full = this.refuseFull(method, taken.length);
      for (const { index } of taken) outcomes[index] = full;
      return outcomes;
    }
    const spans = this.tracer ? taken.map((t) => this.tracer!.begin(t.event, method, context.trace)) : undefined;
    const appended = await this.log.append(spans ? spans.map((span) => span.event) : taken.map((t) => t.event), context.origin);
    taken.forEach(({ index, event, size }, i) => {
      outcomes[index] = this.settle(method, spans ? spans[i]!.event : event, appended[i]!, size);
      spans?.[i]!.end(outcomes[index]);
    });
    return outcomes;
  }

  /** True when one more event would be admitted right now (nobody waits ahead of it). */
  hasRoom(): boolean {
    return this.admission.waiters === 0 && this.log.hasRoomFor(1);
  }

  /** Waits (at most `timeoutMs`) until the log has room for one more event; false if it still has none. */
  waitForRoom(timeoutMs: number): Promise<boolean> {
    return waitForRoom(this.log, 1, timeoutMs);
  }

  private settle(method: IngestMethod, event: McpEvent, outcome: AppendOutcome, size: number): IngestOutcome {
    switch (outcome.status) {
      case 'stored':
        this.count(method, size);
        return { status: 'accepted', event };
      case 'duplicate':
        this.observer.duplicate(method);
        return { status: 'duplicate', event };
      case 'refused':
        return this.refuse(method, outcome.reason === 'full' ? 'buffer_full' : 'unavailable', 1, outcome.message, outcome.retryAfterSeconds);
    }
  }

  /**
   * Who may send what: an event from a peer (authenticated by its signature alone) must verify;
   * so must one carrying federation metadata when signatures are required; a signed event is
   * checked whenever keys are held (without keys, signatures are carried unchecked); a caller bound to a
   * tenant may only send that tenant's events, and events without a tenant are stamped with it.
   */
  private permit(
    event: McpEvent,
    caller: Caller | undefined,
    method: IngestMethod,
    where = 'event',
  ): { status: 'permitted'; event: McpEvent } | Extract<IngestOutcome, { status: 'denied' }> {
    const mustVerify =
      caller?.kind === 'peer' || (this.signatures !== undefined && (this.requireSignatures ? carriesFederationMetadata(event) : isSigned(event)));
    if (mustVerify) {
      const check = this.signatures ? this.signatures.check(event) : 'unknown_key_id';
      this.observer.signatureChecked(check);
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
    if (claimed === undefined) return { status: 'permitted', event: withMetadata(event, metadataWith(event, { [TENANT_KEY]: tenant })) };
    if (claimed !== tenant) {
      return this.deny(
        method,
        'tenant_mismatch',
        `${where}: metadata.${TENANT_KEY} ${JSON.stringify(claimed.slice(0, 128))} is not the tenant your credentials are bound to (${JSON.stringify(tenant)})`,
      );
    }
    return { status: 'permitted', event };
  }

  private deny(method: IngestMethod, reason: DenialReason, message: string) {
    this.errors++;
    this.observer.failed(method, reason, 1);
    return { status: 'denied' as const, reason, message };
  }

  private count(method: IngestMethod, size: number): void {
    this.observer.accepted(method, size);
  }

  private refuseIfClosed(method: IngestMethod, count = 1) {
    if (this.log.accepting) return undefined;
    const message = this.log.state().connected
      ? 'the gateway is shutting down and takes no new events'
      : 'the event log is unreachable (NATS JetStream is disconnected); retry later';
    return this.refuse(method, 'unavailable', count, message, 2);
  }

  /** Refused for want of room, saying where room is short (the log's buffer, a forwarding target). */
  private refuseFull(method: IngestMethod, count: number) {
    const why = this.log.whyNoRoomFor(count) ?? 'the gateway had no room for these events in time; retry later';
    return this.refuse(method, 'buffer_full', count, why);
  }

  private refuseIfLimited(method: IngestMethod, count: number, caller: Caller | undefined) {
    if (this.clientLimiter && caller) {
      const waitSeconds = this.clientLimiter.take(caller.id, count);
      this.observer.rateLimitChecked('client', waitSeconds === 0 ? 'allowed' : 'limited', count);
      if (waitSeconds > 0) return this.refuse(method, 'rate_limited', count, 'your rate limit (per client) is exceeded; retry later', waitSeconds);
    }
    if (!this.limiter) return undefined;
    const taken = this.limiter.tryTake(count);
    this.observer.rateLimitChecked('gateway', taken ? 'allowed' : 'limited', count);
    return taken
      ? undefined
      : this.refuse(method, 'rate_limited', count, 'the ingest rate limit is exceeded; retry later', this.limiter.secondsUntil(count));
  }

  private reject(method: IngestMethod, failure: { reason: RejectReason; field: string; message: string }) {
    this.errors++;
    this.observer.failed(method, failure.reason, 1);
    return { status: 'rejected' as const, reason: failure.reason, field: failure.field, message: failure.message };
  }

  private refuse(method: IngestMethod, reason: RefusalReason, count: number, message: string, retryAfterSeconds = 1) {
    this.errors += count;
    this.observer.failed(method, reason, count);
    return { status: 'refused' as const, reason, message, retryAfterSeconds };
  }
}
