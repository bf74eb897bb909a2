// Events over WebSocket for browser clients (`GET /api/v1/ws`, fastify's own plugin): a cursor
// like every other stream, sending each event as one JSON text frame (the HTTP API's event shape
// plus its log `position`), with StreamEvents' filters and replay as query parameters
// (`event_types` comma-separated, `start_timestamp`, `after_position`). A JSON event the client
// sends is ingested as `POST /api/v1/events` would, and answered on the socket with the same
// reply. Same rules as every stream: credentials (also as a `bearer.<token>` subprotocol or an
// `access_token` query parameter, since browsers cannot set headers), tenancy, MAX_CONNECTIONS,
// a bounded queue that falls back to reading the log, keepalive pings, close codes that say why.
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { checkTypePattern, compileTypeFilter, type TraceCarrier } from '../../../src/event/index.js';
import { isFailure, type IngestOutcome, type IngestService } from '../../ingest/ingest-service.js';
import { defineEncoder, type Envelope } from '../../log/envelope.js';
import type { StreamEnding, SubscriberTransport } from '../../subscribers/subscriber.js';
import type { Subscriptions } from '../../subscribers/subscriptions.js';
import { claimedEventId } from './replies.js';

export { WS_BEARER_PREFIX, WS_PROTOCOL } from './websocket-protocol.js';

/** Close codes (RFC 6455 and the private range): each says why the stream ended. */
export const WS_CLOSE = {
  /** StreamEvents without follow: everything asked for was sent. */
  complete: 1000,
  /** The gateway is shutting down: reconnect to another instance. */
  shutdown: 1001,
  /** A query parameter is wrong (the reason names it). */
  invalidArgument: 1008,
  /** MAX_CONNECTIONS streams are open, or the gateway is draining: try again later. */
  tryAgainLater: 1013,
  /** The log no longer holds this stream's next event (the reason names the lost positions). */
  eventsLost: 4410,
} as const;

/** Frames sent and not yet written to the socket before the stream waits (and then reads the log). */
const HIGH_WATER_FRAMES = 256;
const LOW_WATER_FRAMES = 64;
/** Replies to a client's events not yet written: beyond it the gateway stops reading what the client sends. */
const MAX_UNWRITTEN_REPLIES = 1024;

/** An event as one JSON text frame: the shape the HTTP API takes, plus its position in the log. */
export const JSON_EVENT_ENCODER = defineEncoder(({ event, position }) =>
  Buffer.from(
    `{"event_id":${JSON.stringify(event.event_id)},"event_type":${JSON.stringify(event.event_type)},` +
      `"source":${JSON.stringify(event.source)},"timestamp":${event.timestamp},"data":${JSON.stringify(event.data)},` +
      `"metadata":${JSON.stringify(event.metadata)},"position":${position}}`,
  ),
);

export interface WebSocketRoutesOptions {
  ingest: IngestService;
  subscriptions: Subscriptions;
  /** Ping period; a client that has not answered the previous ping by the next one is dropped. */
  keepaliveMs?: number;
}

const DEFAULT_KEEPALIVE_MS = 30_000;

interface StreamQuery {
  event_types?: string;
  start_timestamp?: string;
  after_position?: string;
}

/** The stream a query asks for, or the problem with it. */
export function parseStreamQuery(
  query: StreamQuery,
): { types: string[]; start?: { after: number } | { fromTime: number }; minTimestamp?: number } | { error: string } {
  const types = (query.event_types ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const pattern of types) {
    const problem = checkTypePattern(pattern);
    if (problem) return { error: `event_types: ${problem}` };
  }
  const number = (name: keyof StreamQuery): number | undefined | { error: string } => {
    const raw = query[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d{1,16}$/.test(raw)) return { error: `${name}: expected a whole number, got ${JSON.stringify(raw.slice(0, 40))}` };
    return Number(raw);
  };
  const after = number('after_position');
  const from = number('start_timestamp');
  if (typeof after === 'object') return after;
  if (typeof from === 'object') return from;
  if (after !== undefined && after > 0) return { types, start: { after } };
  if (from !== undefined) return { types, start: { fromTime: from }, minTimestamp: from };
  return { types };
}

/** A WebSocket as a subscriber transport: frames in flight are counted, and beyond the high
 * water mark the writer waits (and the subscriber falls back to the log) until they are written. */
function webSocketTransport(socket: WebSocket): SubscriberTransport {
  let unwritten = 0;
  let gone = false;
  let goneListener: (() => void) | undefined;
  let drainWaiters: (() => void)[] = [];
  const wake = () => {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };
  socket.once('close', () => {
    gone = true;
    wake();
    goneListener?.();
  });
  const written = () => {
    unwritten--;
    if (unwritten <= LOW_WATER_FRAMES) wake();
  };
  return {
    get gone() {
      return gone;
    },
    onGone(listener) {
      goneListener = listener;
    },
    write(envelope: Envelope) {
      unwritten++;
      socket.send(envelope.encoded(JSON_EVENT_ENCODER), { binary: false }, written);
      return unwritten < HIGH_WATER_FRAMES;
    },
    waitForDrain() {
      if (gone || unwritten <= LOW_WATER_FRAMES) return Promise.resolve();
      return new Promise((resolve) => drainWaiters.push(resolve));
    },
    end(ending: StreamEnding) {
      switch (ending.kind) {
        case 'complete':
          socket.close(WS_CLOSE.complete, 'complete');
          return;
        case 'cut_off':
          socket.close(
            WS_CLOSE.eventsLost,
            closeReason(`events ${ending.lost.from}-${ending.lost.to} lost; resume after_position=${ending.lost.to}`),
          );
          return;
        case 'shutdown':
          socket.close(WS_CLOSE.shutdown, closeReason(ending.message));
          return;
        case 'gone':
          return;
      }
    },
  };
}

/** A close reason fits in 123 bytes of UTF-8. */
function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= 123
    ? text
    : bytes
        .subarray(0, 123)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}

/** The JSON reply to an event the client sent: what POST /api/v1/events answers. */
function reply(outcome: IngestOutcome, input: unknown): string {
  if (!isFailure(outcome)) return JSON.stringify({ event_id: outcome.event.event_id, status: outcome.status });
  const event_id = claimedEventId(input);
  const common = { status: 'rejected', ...(event_id ? { event_id } : {}) };
  if (outcome.status === 'rejected')
    return JSON.stringify(Object.assign(common, { error: outcome.reason, field: outcome.field, message: outcome.message }));
  if (outcome.status === 'denied') return JSON.stringify(Object.assign(common, { error: outcome.reason, message: outcome.message }));
  return JSON.stringify(Object.assign(common, { error: outcome.reason, message: outcome.message, retry_after: outcome.retryAfterSeconds }));
}

export async function webSocketRoutes(app: FastifyInstance, options: WebSocketRoutesOptions): Promise<void> {
  const { ingest, subscriptions } = options;

  app.get('/api/v1/ws', { websocket: true }, (socket, request) => {
    const query = parseStreamQuery(request.query as StreamQuery);
    if ('error' in query) {
      socket.close(WS_CLOSE.invalidArgument, closeReason(query.error));
      return;
    }
    const caller = request.caller;
    const opened = subscriptions.open({
      kind: 'websocket',
      transport: webSocketTransport(socket),
      filter: compileTypeFilter(query.types),
      tenant: caller.tenant,
      start: query.start,
      minTimestamp: query.minTimestamp,
    });
    if (!opened.ok) {
      socket.close(WS_CLOSE.tryAgainLater, closeReason(opened.message));
      return;
    }
    const origin = opened.subscriber.id;
    // The upgrade request's trace context, for the events sent on the socket that carry none.
    const trace = request.headers as TraceCarrier;

    // A client that sends without reading our replies is slowed (its frames are not read), not buffered for.
    let unwrittenReplies = 0;
    const answer = (text: string) => {
      if (socket.readyState !== socket.OPEN) return;
      unwrittenReplies++;
      if (unwrittenReplies === MAX_UNWRITTEN_REPLIES) socket.pause();
      socket.send(text, () => {
        unwrittenReplies--;
        if (unwrittenReplies === MAX_UNWRITTEN_REPLIES / 4) socket.resume();
      });
    };
    // Replies go out in the order the client's frames came, whichever settles first.
    let replies = Promise.resolve();
    const inOrder = (text: Promise<string> | string) => {
      replies = replies.then(() => text).then(answer);
    };
    socket.on('message', (data, isBinary) => {
      let input: unknown;
      try {
        input = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString());
      } catch {
        inOrder(JSON.stringify({ status: 'rejected', error: 'invalid_json', field: 'body', message: 'body: not valid JSON' }));
        return;
      }
      // Appended now, in the order the frames came; answered when stored.
      inOrder(ingest.ingest(input, 'websocket', { origin, caller, trace }).then((outcome) => reply(outcome, input)));
    });

    // Keepalive: a client that has not answered the last ping by the next one is gone.
    let answered = true;
    socket.on('pong', () => (answered = true));
    const keepalive = setInterval(() => {
      if (!answered) {
        // A peer that does not answer pings will not complete a close handshake either.
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS).unref();
    socket.once('close', () => clearInterval(keepalive));
  });
}
