// Records Kubernetes Events (events.k8s.io/v1) without ever hurting the caller or the API server.
//
// - record() is synchronous and O(1): it counts the occurrence under its aggregation key
//   (regarding, reason, action, type, labels, note key). Distinct keys waiting are bounded
//   (maxPendingKeys); an occurrence of a new key beyond that is dropped and counted.
// - A pump writes within a token-bucket budget (qps, burst). The first write of a key creates an
//   Event; later writes set `series.count` (all occurrences so far) and `series.lastObservedTime`
//   on that same Event. Occurrences that arrive faster than the budget simply add up in the key's
//   pending count and go out in the next write, so the counts stay exact whatever the rate.
// - 429 stops all writes for Retry-After (or a backoff); other failures retry the key with backoff
//   up to maxAttempts, then its occurrences are given up and counted as failed.
// - Series writes carry the absolute count, so retrying an ambiguous failure cannot double-count;
//   Event names are chosen here (not generateName), so a retried create that already happened
//   answers AlreadyExists and is taken as done.
import { afterTurn } from '../after-turn.js';
import {
  PatchStrategy,
  setHeaderOptions,
  type EventsV1Api,
  type EventsV1Event,
  type EventsV1EventSeries,
  type V1ObjectReference,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { exponentialDelay, type BackoffOptions } from './backoff.js';
import { apiStatusCode, isAlreadyExists, isNotFound, isTooManyRequests, retryAfterMs } from './client.js';
import { systemClock, withTimeout, type Clock, type TimerHandle } from './clock.js';
import { microTime } from './micro-time.js';
import { TokenBucket } from '../limits/token-bucket.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  /** The object the event is about; its namespace is where the Event is written. */
  regarding: V1ObjectReference;
  related?: V1ObjectReference;
  type: EventType;
  /** Why (CamelCase, e.g. ReconcileFailed); required by the API. */
  reason: string;
  /** What was done or failed (e.g. Reconcile, Dispatch); required by the API. */
  action: string;
  /** Human-readable, at most 1 kB of UTF-8 (longer is cut). */
  note?: string;
  /** Labels on the Event object, for selection (e.g. by an Argo `resource` EventSource). */
  labels?: Record<string, string>;
  /** Annotations on the Event object (e.g. exact values that labels can only carry mapped). */
  annotations?: Record<string, string>;
  /**
   * What makes two notes "the same" for aggregation; defaults to the note itself. Give a stable
   * key when the note carries per-occurrence detail (ids, counts) that should not split a series.
   */
  noteKey?: string;
}

/** Where Events go: a real one over EventsV1Api, a fake in unit tests. */
export interface EventWriter {
  create(namespace: string, event: EventsV1Event): Promise<void>;
  /** Sets the series of an existing Event (merge patch). */
  updateSeries(namespace: string, name: string, series: EventsV1EventSeries): Promise<void>;
}

export interface EventRecorderOptions {
  writer: EventWriter;
  /** The controller's name, e.g. mcp.tas.ai/operator; required by the API. */
  reportingController: string;
  /** This process, e.g. the pod name; required by the API. */
  reportingInstance: string;
  /** Sustained API writes per second. */
  qps?: number;
  /** API writes allowed at once above qps. */
  burst?: number;
  /** Distinct aggregation keys held at once (waiting to be written or remembered for a series). */
  maxPendingKeys?: number;
  /** A key's Event is reused for a series while it was written to within this window. */
  seriesWindowMs?: number;
  /** Writes in flight at once. */
  maxInFlight?: number;
  /** Attempts per write before its occurrences are given up (429s do not count). */
  maxAttempts?: number;
  retryBackoff?: BackoffOptions;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export interface EventRecorderStats {
  /** Occurrences accepted by record(). */
  recorded: number;
  /** Occurrences refused by record() because maxPendingKeys keys were already held. */
  dropped: number;
  /** Occurrences given up after failed writes. */
  failed: number;
  /** Occurrences accepted and waiting for a write. */
  pending: number;
  /** Occurrences in a write that has not answered yet. recorded = written + failed + pending + inFlight. */
  inFlight: number;
  /** Occurrences the API server has (sum over created Events of 1 or series.count). */
  written: number;
  eventsCreated: number;
  seriesUpdates: number;
  /** 429 answers received. */
  throttled: number;
}

interface KeyState {
  key: string;
  template: EventRecord;
  namespace: string;
  /** Name of the Event holding this key's series, once created (or being created). */
  eventName: string | undefined;
  created: boolean;
  /** Occurrences the current Event has on the server. */
  onServer: number;
  /** Occurrences not yet written, and when the first and last of them happened. */
  pending: number;
  firstPendingAt: number;
  lastObservedAt: number;
  lastWrittenAt: number;
  inFlight: boolean;
  attempts: number;
  retryAt: number;
}

/** The API refuses notes over 1 kB. */
const MAX_NOTE_BYTES = 1024;

export class EventRecorder {
  private readonly writer: EventWriter;
  private readonly reportingController: string;
  private readonly reportingInstance: string;
  private readonly budget: TokenBucket;
  private readonly maxPendingKeys: number;
  private readonly seriesWindowMs: number;
  private readonly maxInFlight: number;
  private readonly maxAttempts: number;
  private readonly retryBackoff: BackoffOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;

  /** Every key held, in least-recently-written order (Map keeps insertion order). */
  private readonly keys = new Map<string, KeyState>();
  /** Keys with pending occurrences and no write in flight, oldest first. */
  private readonly ready = new Set<string>();
  /** Writes in flight, and the occurrences they carry. */
  private inFlight = 0;
  private occurrencesInFlight = 0;
  private pausedUntil = 0;
  private throttleAttempt = 0;
  private wakeTimer: TimerHandle | undefined;
  private wakeAt = Infinity;
  private closed = false;
  private halted = false;
  private nameSequence = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly counters = { recorded: 0, dropped: 0, failed: 0, written: 0, eventsCreated: 0, seriesUpdates: 0, throttled: 0 };

  constructor(options: EventRecorderOptions) {
    if (!options.reportingController || !options.reportingInstance) throw new Error('reportingController and reportingInstance are required');
    this.writer = options.writer;
    this.reportingController = options.reportingController;
    this.reportingInstance = options.reportingInstance;
    this.clock = options.clock ?? systemClock;
    this.budget = new TokenBucket(options.qps ?? 10, options.burst ?? 25, () => this.clock.now());
    this.maxPendingKeys = options.maxPendingKeys ?? 4096;
    this.seriesWindowMs = options.seriesWindowMs ?? 6 * 60_000;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBackoff = options.retryBackoff ?? { baseMs: 500, maxMs: 30_000 };
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
  }

  /** Counts one occurrence; never blocks, never throws. Returns false when it was dropped. */
  record(event: EventRecord): boolean {
    if (this.closed) {
      this.counters.dropped++;
      return false;
    }
    const now = this.clock.now();
    const key = aggregationKey(event);
    let state = this.keys.get(key);
    if (!state) {
      if (this.keys.size >= this.maxPendingKeys && !this.evictOneIdleKey()) {
        this.counters.dropped++;
        return false;
      }
      state = this.newKeyState(key, event, now);
      this.keys.set(key, state);
    }
    if (state.pending === 0) state.firstPendingAt = now;
    state.pending++;
    state.lastObservedAt = now;
    this.counters.recorded++;
    if (!state.inFlight) this.ready.add(key);
    this.schedulePump();
    return true;
  }

  stats(): EventRecorderStats {
    let pending = 0;
    for (const state of this.keys.values()) pending += state.pending;
    return { ...this.counters, pending, inFlight: this.occurrencesInFlight };
  }

  /**
   * Stops intake and keeps writing, within the budget, until nothing is pending or `timeoutMs`
   * passed; then starts nothing more. Resolves with the occurrences left unwritten (also counted
   * as failed); a write still in flight then ends up in `written` or `failed`.
   */
  async close(timeoutMs: number): Promise<number> {
    this.closed = true;
    if (!this.isIdle()) {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      await withTimeout(this.clock, idle, timeoutMs, () => undefined);
    }
    // Nothing starts after this; a write still in flight ends as written or failed.
    this.halted = true;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const left = this.stats().pending;
    this.counters.failed += left;
    for (const state of this.keys.values()) state.pending = 0;
    this.ready.clear();
    return left;
  }

  private newKeyState(key: string, event: EventRecord, now: number): KeyState {
    return {
      key,
      template: event,
      namespace: event.regarding.namespace || 'default',
      eventName: undefined,
      created: false,
      onServer: 0,
      pending: 0,
      firstPendingAt: now,
      lastObservedAt: now,
      lastWrittenAt: 0,
      inFlight: false,
      attempts: 0,
      retryAt: 0,
    };
  }

  /** Forgets the least recently written key with nothing pending; false when none can go. */
  private evictOneIdleKey(): boolean {
    for (const [key, state] of this.keys) {
      if (state.pending === 0 && !state.inFlight) {
        this.keys.delete(key);
        return true;
      }
    }
    return false;
  }

  /** Writes start after the caller's synchronous code, so record() never pays for a request. */
  private readonly schedulePump = afterTurn(() => this.pump());

  /** Starts as many writes as the budget, the in-flight cap and the 429 pause allow. */
  private pump(): void {
    if (this.halted) return;
    const now = this.clock.now();
    if (now < this.pausedUntil) return this.wakeAtTime(this.pausedUntil);
    let earliestRetry = Infinity;
    for (const key of this.ready) {
      if (this.inFlight >= this.maxInFlight) return;
      const state = this.keys.get(key);
      if (!state || state.pending === 0) {
        this.ready.delete(key);
        continue;
      }
      if (state.retryAt > now) {
        earliestRetry = Math.min(earliestRetry, state.retryAt);
        continue;
      }
      if (!this.budget.tryTake()) return this.wakeAtTime(now + this.budget.msUntil());
      this.ready.delete(key);
      void this.write(state, now);
    }
    if (earliestRetry !== Infinity) this.wakeAtTime(earliestRetry);
    if (this.isIdle()) this.notifyIdle();
  }

  private async write(state: KeyState, now: number): Promise<void> {
    const occurrences = state.pending;
    const firstAt = state.firstPendingAt;
    const lastAt = state.lastObservedAt;
    state.pending = 0;
    state.inFlight = true;
    this.inFlight++;
    this.occurrencesInFlight += occurrences;
    // Past the series window the old Event is left to expire and a new one starts.
    if (state.created && now - state.lastWrittenAt > this.seriesWindowMs) this.startNewEvent(state);
    const creating = !state.created;
    try {
      if (creating) {
        state.eventName ??= this.eventName(state.template.regarding.name ?? 'event', now);
        await this.createEvent(state, occurrences, firstAt, lastAt);
        state.created = true;
        state.onServer = occurrences;
        this.counters.eventsCreated++;
      } else {
        const count = state.onServer + occurrences;
        await this.writer.updateSeries(state.namespace, state.eventName!, { count, lastObservedTime: microTime(lastAt) });
        state.onServer = count;
        this.counters.seriesUpdates++;
      }
      this.counters.written += occurrences;
      state.attempts = 0;
      state.lastWrittenAt = this.clock.now();
      this.throttleAttempt = 0;
      // Move to the back of the eviction order: most recently written.
      this.keys.delete(state.key);
      this.keys.set(state.key, state);
    } catch (error) {
      this.onWriteFailed(state, error, creating, occurrences, firstAt);
    } finally {
      state.inFlight = false;
      this.inFlight--;
      this.occurrencesInFlight -= occurrences;
      if (state.pending > 0) this.ready.add(state.key);
      this.pump();
    }
  }

  private onWriteFailed(state: KeyState, error: unknown, creating: boolean, occurrences: number, firstAt: number): void {
    if (creating && isAlreadyExists(error)) {
      // An earlier attempt of this create went through after all. It carried at most the
      // occurrences of this attempt (failed attempts put theirs back, new ones only add), so an
      // exact total needs one series write with the absolute count.
      state.created = true;
      state.lastWrittenAt = this.clock.now();
      this.counters.eventsCreated++;
      if (occurrences === 1) {
        state.onServer = 1;
        this.counters.written += 1;
      } else {
        state.onServer = 0;
        state.pending += occurrences;
        state.firstPendingAt = firstAt;
      }
      return;
    }
    if (this.halted) {
      this.counters.failed += occurrences;
      return;
    }
    // Put the occurrences back; later ones may have arrived meanwhile.
    state.pending += occurrences;
    state.firstPendingAt = firstAt;
    if (isTooManyRequests(error)) {
      this.counters.throttled++;
      const wait = retryAfterMs(error) ?? exponentialDelay(this.throttleAttempt, this.retryBackoff);
      this.throttleAttempt++;
      this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + wait);
      this.logger?.warn({ waitMs: wait }, 'event writes throttled by the API server');
      return;
    }
    if (!creating && isNotFound(error)) {
      // The Event expired (TTL) or was deleted: the next write starts a new one at once.
      this.startNewEvent(state);
      return;
    }
    state.attempts++;
    const status = apiStatusCode(error);
    const permanent = status !== undefined && status >= 400 && status < 500 && status !== 408;
    if (permanent || state.attempts >= this.maxAttempts) {
      this.counters.failed += state.pending;
      this.logger?.warn(
        { err: error, reason: state.template.reason, occurrences: state.pending, attempts: state.attempts },
        'giving up on event occurrences',
      );
      state.pending = 0;
      state.attempts = 0;
      // A create that may or may not have happened: start over with a fresh name next time.
      if (creating) this.startNewEvent(state);
      return;
    }
    state.retryAt = this.clock.now() + exponentialDelay(state.attempts - 1, this.retryBackoff);
  }

  private startNewEvent(state: KeyState): void {
    state.eventName = undefined;
    state.created = false;
    state.onServer = 0;
  }

  private async createEvent(state: KeyState, occurrences: number, firstAt: number, lastAt: number): Promise<void> {
    const { template } = state;
    const event: EventsV1Event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: state.eventName!,
        namespace: state.namespace,
        ...(template.labels ? { labels: { ...template.labels } } : {}),
        ...(template.annotations ? { annotations: { ...template.annotations } } : {}),
      },
      eventTime: microTime(firstAt),
      reportingController: this.reportingController,
      reportingInstance: this.reportingInstance,
      regarding: template.regarding,
      ...(template.related ? { related: template.related } : {}),
      type: template.type,
      reason: template.reason,
      action: template.action,
      ...(template.note !== undefined ? { note: truncateUtf8(template.note, MAX_NOTE_BYTES) } : {}),
      // The API wants series.count >= 2: one occurrence is an Event without a series.
      ...(occurrences > 1 ? { series: { count: occurrences, lastObservedTime: microTime(lastAt) } } : {}),
    };
    await this.writer.create(state.namespace, event);
  }

  /** `<regarding name>.<time><sequence><random>`: unique, and stable across retries of one create. */
  private eventName(regardingName: string, now: number): string {
    const base =
      regardingName
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-')
        .slice(0, 200)
        .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'event';
    const suffix = now.toString(16) + (this.nameSequence++).toString(16) + Math.floor(this.random() * 0xffff).toString(16);
    return `${base}.${suffix}`;
  }

  private wakeAtTime(at: number): void {
    if (this.wakeTimer !== undefined && this.wakeAt <= at) return;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.ready.size === 0;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes) end--;
  // Do not leave half of a surrogate pair at the end.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

const sortedEntries = (map: Record<string, string> | undefined) => (map ? Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : []);

/** What makes two occurrences one series. Labels and annotations are sorted so their order does not matter. */
export function aggregationKey(event: EventRecord): string {
  const { regarding } = event;
  return JSON.stringify([
    regarding.apiVersion ?? '',
    regarding.kind ?? '',
    regarding.namespace ?? '',
    regarding.name ?? '',
    regarding.uid ?? '',
    regarding.fieldPath ?? '',
    event.type,
    event.reason,
    event.action,
    sortedEntries(event.labels),
    sortedEntries(event.annotations),
    event.noteKey ?? event.note ?? '',
  ]);
}

/** The real writer: create with POST, series updates with a JSON merge patch. */
export function createEventsApiWriter(api: EventsV1Api): EventWriter {
  // client-node 1.4 sends generated patch calls as JSON patch unless told otherwise.
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async create(namespace, body) {
      await api.createNamespacedEvent({ namespace, body });
    },
    async updateSeries(namespace, name, series) {
      await api.patchNamespacedEvent({ namespace, name, body: { series } }, mergePatch);
    },
  };
}
