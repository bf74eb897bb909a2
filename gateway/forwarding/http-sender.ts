// Forwarding over HTTP(S), in the target's format:
// - mcp at a bare address (http://host:port): another MCP gateway's API. Batches go to
//   POST /api/v1/events/batch (a JSON array; the answer says per event what became of it). A
//   receiver that does not know that route (404, 405, 415, 501) gets single events at
//   POST /api/v1/events instead, remembered for this target and tried again after a while. Our
//   gateways and the Go reference server both read the full event at both routes.
// - mcp with a path: one event per request to exactly that path.
// - legacy: the seed's {id, data} to the path (default /mcp), for receivers that read only that.
// - cloudevents: one event per request in HTTP binary mode; with batch, the batched content mode
//   (application/cloudevents-batch+json), one answer for the whole batch.
// A receiver that answers 413 to a batch gets smaller ones from then on (halved each time).
import { KEY_ID_KEY, TRACEPARENT_KEY, TRACESTATE_KEY, structuredCloudEventJson, toBinaryCloudEvent, type McpEvent } from '../../src/event/index.js';
import { PEER_HEADER } from '../wire/names.js';
import { batchAnswers } from './batch-answers.js';
import type { ClientTls } from './client-tls.js';
import { createHttpClient, type HttpClient, type PostOutcome } from './http-client.js';
import type { Outgoing } from './outgoing.js';
import { parseRetryAfter, type AttemptAnswer } from './retry-policy.js';
import { answerAll, type SendMode, type Sender } from './sender.js';
import type { Target } from './target.js';

export interface HttpSenderOptions {
  target: Target;
  /** Requests in flight at once (connections kept). */
  connections: number;
  /** Events per batch at most. */
  maxEvents: number;
  tls?: ClientTls | undefined;
  /** How long a target that did not take batches is sent single events before batches are tried again. */
  reprobeMs?: number;
  /** For tests: the client to post with. */
  client?: HttpClient;
  now?: () => number;
}

export const BATCH_PATH = '/api/v1/events/batch';
export const SINGLE_PATH = '/api/v1/events';
export const LEGACY_PATH = '/mcp';
/** Answers to a batch request that mean "this receiver has no batch route". */
const NO_BATCH_ROUTE = new Set([404, 405, 415, 501]);
/** Longest error body kept for a dead letter's lastError. */
const MAX_ERROR_BODY = 512;
/** Longest batch answer read (per-event results of the largest batches fit easily). */
const MAX_BATCH_ANSWER = 4 * 1024 * 1024;
const DEFAULT_REPROBE_MS = 10 * 60_000;

function signedBy(events: readonly Outgoing[]): Record<string, string> {
  // A signed event is its own credential at a peer that requires them (see auth/caller.ts).
  const keyId = events.find((o) => o.event.metadata[KEY_ID_KEY])?.event.metadata[KEY_ID_KEY];
  return keyId ? { [PEER_HEADER]: keyId } : {};
}

/** A lone event's trace context as the request's W3C headers (a batch's events each keep their own in their metadata). */
function traceHeadersOf(event: McpEvent): Record<string, string> {
  const traceparent = event.metadata[TRACEPARENT_KEY];
  if (traceparent === undefined) return {};
  const tracestate = event.metadata[TRACESTATE_KEY];
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

/** The answer a whole request got, for each of its events. */
function wholeAnswer(outcome: PostOutcome): AttemptAnswer {
  if ('failed' in outcome) return { protocol: 'none', status: outcome.code, error: outcome.error };
  const body = outcome.body.slice(0, MAX_ERROR_BODY);
  return {
    protocol: 'http',
    status: outcome.status,
    error: `HTTP ${outcome.status}${body ? `: ${body}` : ''}`,
    retryAfterMs: parseRetryAfter(outcome.retryAfter),
  };
}

/** A JSON array of the events from their bytes, encoded once per event whatever the targets (memory copies only). */
function jsonArray(events: readonly Outgoing[]): Buffer {
  let size = 1 + events.length;
  for (const outgoing of events) size += outgoing.jsonBytes.length;
  const body = Buffer.allocUnsafe(size);
  let offset = 0;
  body[offset++] = 0x5b; // [
  events.forEach((outgoing, i) => {
    if (i > 0) body[offset++] = 0x2c; // ,
    offset += outgoing.jsonBytes.copy(body, offset);
  });
  body[offset] = 0x5d; // ]
  return body;
}

/** The batch limit a 413 names: ours ("a batch holds 1 to 100 events"), the Go reference's ("max 1000"). */
function statedLimit(body: string): number | undefined {
  const match = /a batch holds 1 to (\d+) events|\(max (\d+)\)/.exec(body);
  const limit = match ? Number(match[1] ?? match[2]) : NaN;
  return limit > 0 ? limit : undefined;
}

function legacyBody(event: McpEvent): string {
  return JSON.stringify({ id: event.event_id, data: event.data });
}

export function createHttpSender(options: HttpSenderOptions): Sender {
  const url = new URL(options.target.url);
  const bare = url.pathname === '/' || url.pathname === '';
  const path = `${url.pathname}${url.search}`;
  const client = options.client ?? createHttpClient({ origin: url.origin, connections: options.connections, tls: options.tls });
  const now = options.now ?? Date.now;
  const reprobeMs = options.reprobeMs ?? DEFAULT_REPROBE_MS;
  const { format } = options.target;
  // The config allows batch for mcp targets only where batches go (schema.ts).
  const batches = options.target.batch;
  /** Events per batch now: lowered by 413s. */
  let batchCap = batches ? options.maxEvents : 1;
  /** Until when single events are sent to a target that did not take a batch. */
  let singleUntil = 0;

  const batching = () => batches && now() >= singleUntil;

  async function sendOne(outgoing: Outgoing, timeoutMs: number): Promise<AttemptAnswer> {
    const event = outgoing.event;
    let outcome: PostOutcome;
    if (format === 'cloudevents') {
      // The event's trace context goes as ce-traceparent (its metadata as extensions) and as traceparent.
      const { headers, body } = toBinaryCloudEvent(event);
      outcome = await client.post(path, Object.assign(headers, traceHeadersOf(event)), body, timeoutMs, MAX_ERROR_BODY);
    } else if (format === 'legacy') {
      const headers = { 'content-type': 'application/json', ...traceHeadersOf(event) };
      outcome = await client.post(bare ? LEGACY_PATH : path, headers, legacyBody(event), timeoutMs, MAX_ERROR_BODY);
    } else {
      const headers = { 'content-type': 'application/json', ...signedBy([outgoing]), ...traceHeadersOf(event) };
      outcome = await client.post(bare || url.pathname === BATCH_PATH ? SINGLE_PATH : path, headers, outgoing.json, timeoutMs, MAX_ERROR_BODY);
    }
    return wholeAnswer(outcome);
  }

  async function sendSingles(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    return Promise.all(events.map((outgoing) => sendOne(outgoing, timeoutMs)));
  }

  async function sendBatch(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    const body = format === 'cloudevents' ? `[${events.map((o) => structuredCloudEventJson(o.event)).join(',')}]` : jsonArray(events);
    const headers =
      format === 'cloudevents'
        ? { 'content-type': 'application/cloudevents-batch+json' }
        : { 'content-type': 'application/json', ...signedBy(events) };
    const outcome = await client.post(format === 'cloudevents' ? path : BATCH_PATH, headers, body, timeoutMs, MAX_BATCH_ANSWER);
    if ('failed' in outcome) return answerAll(events, wholeAnswer(outcome));
    if (format === 'mcp' && NO_BATCH_ROUTE.has(outcome.status)) {
      singleUntil = now() + reprobeMs;
      return sendSingles(events, timeoutMs);
    }
    if (outcome.status === 413 && events.length > 1) {
      batchCap = Math.max(1, Math.min(events.length - 1, statedLimit(outcome.body) ?? Math.floor(events.length / 2)));
      return send(events, timeoutMs);
    }
    // CloudEvents batches are answered as a whole; ours per event (also when none was taken).
    const perEvent = format === 'mcp' ? batchAnswers(outcome.body, events.length) : undefined;
    if (perEvent) return perEvent;
    return answerAll(events, wholeAnswer(outcome));
  }

  async function send(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    if (!batching()) return sendSingles(events, timeoutMs);
    if (events.length <= batchCap) return sendBatch(events, timeoutMs);
    const parts: Promise<AttemptAnswer[]>[] = [];
    for (let i = 0; i < events.length; i += batchCap) parts.push(sendBatch(events.slice(i, i + batchCap), timeoutMs));
    return (await Promise.all(parts)).flat();
  }

  return {
    get mode(): SendMode {
      if (format === 'legacy') return 'legacy';
      if (format === 'cloudevents') return batches ? 'cloudevents-batch' : 'cloudevents';
      return batching() ? 'batch' : 'single';
    },
    get maxEvents() {
      return batching() ? batchCap : 1;
    },
    send,
    close() {
      client.close();
    },
  };
}
