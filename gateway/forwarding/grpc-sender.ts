// Forwarding to a grpc:// (or grpcs://) peer over one long-lived channel: many events per batch,
// answered per event. Batches go as messages of one mcp.v1.MCPService/IngestEventBatchStream call
// per connection (a new call per batch costs grpc-js ~10x the CPU of a message on an open one). A
// peer without that method gets an IngestEventBatch call per batch; one without that either (the
// Go reference server, older gateways) IngestEvent per event. Each fallback is remembered for this
// target and tried again after a while. A peer that takes smaller batches says so (OUT_OF_RANGE
// with x-mcp-max-batch).
import * as grpc from '@grpc/grpc-js';
import { KEY_ID_KEY, TRACEPARENT_KEY, TRACESTATE_KEY } from '../../src/event/index.js';
import { MAX_BATCH_METADATA, PEER_HEADER } from '../wire/names.js';
import { encodeIngestRequest } from '../wire/event-codec.js';
import { packageDefinition } from '../wire/protos.js';
import { itemAnswer } from './batch-answers.js';
import { BatchStream, isTooLarge, type BatchResponse, type StreamStatus } from './grpc-batch-stream.js';
import type { ClientTls } from './client-tls.js';
import type { Outgoing } from './outgoing.js';
import type { AttemptAnswer } from './retry-policy.js';
import { answerAll, type Sender } from './sender.js';

const service = packageDefinition['mcp.v1.MCPService'] as grpc.ServiceDefinition;
const passBuffer = (bytes: Buffer) => bytes;
/** The client's view: requests arrive already encoded (an event's bytes, or a batch framed from them). */
const passingBuffers = (method: grpc.MethodDefinition<unknown, unknown>) => Object.assign({}, method, { requestSerialize: passBuffer });
const McpServiceClient = grpc.makeGenericClientConstructor(
  Object.assign({}, service, {
    IngestEvent: passingBuffers(service.IngestEvent!),
    IngestEventBatch: passingBuffers(service.IngestEventBatch!),
    IngestEventBatchStream: passingBuffers(service.IngestEventBatchStream!),
  }),
  'MCPService',
);

type Unary<Response> = (
  request: Buffer,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Response) => void,
) => grpc.ClientUnaryCall;

interface McpClient extends grpc.Client {
  IngestEvent: Unary<unknown>;
  IngestEventBatch: Unary<BatchResponse>;
  IngestEventBatchStream: (metadata: grpc.Metadata) => grpc.ClientDuplexStream<Buffer, BatchResponse>;
}

/** IngestEventBatchRequest bytes: each event's encoding as field 1 (`repeated IngestEventRequest events = 1`). */
function frameBatch(events: readonly Outgoing[]): Buffer {
  // Each event encoded once (Outgoing keeps it), whatever the targets and retries.
  const parts = events.map((o) => o.protobuf(encodeIngestRequest));
  let size = 0;
  for (const part of parts) size += 1 + varintLength(part.length) + part.length;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const part of parts) {
    out[offset++] = 0x0a; // field 1, length-delimited
    for (let length = part.length; ; length >>>= 7) {
      if (length < 0x80) {
        out[offset++] = length;
        break;
      }
      out[offset++] = (length & 0x7f) | 0x80;
    }
    offset += part.copy(out, offset);
  }
  return out;
}

function varintLength(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value >>>= 7;
    bytes++;
  }
  return bytes;
}

export interface GrpcSenderOptions {
  url: string;
  /** Connections to the target (requests take turns). */
  connections: number;
  /** Events per batch at most. */
  maxEvents: number;
  batch: boolean;
  /** TLS for grpcs:// (or a tls block): without it the channel is plaintext. */
  tls?: ClientTls | undefined;
  secure: boolean;
  reprobeMs?: number;
  now?: () => number;
}

const DEFAULT_REPROBE_MS = 10 * 60_000;
/** Messages this large may come back (per-event results of a big batch). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

function credentials(options: GrpcSenderOptions): grpc.ChannelCredentials {
  if (!options.secure) return grpc.credentials.createInsecure();
  const tls = options.tls ?? {};
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

function failure(error: StreamStatus): AttemptAnswer {
  const status = grpc.status[error.code] ?? String(error.code);
  const retryAfter = Number(error.metadata?.get('retry-after')[0]);
  return { protocol: 'grpc', status, error: `gRPC ${status}: ${error.details}`, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined };
}

export function createGrpcSender(options: GrpcSenderOptions): Sender {
  const address = new URL(options.url).host;
  const now = options.now ?? Date.now;
  const reprobeMs = options.reprobeMs ?? DEFAULT_REPROBE_MS;
  const channelOptions = {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // Each client its own connection (not grpc-js's shared subchannel pool).
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': MAX_ANSWER_BYTES,
    'grpc.max_send_message_length': -1,
    ...(options.tls?.servername ? { 'grpc.ssl_target_name_override': options.tls.servername, 'grpc.default_authority': options.tls.servername } : {}),
  };
  // Several connections: a gRPC server (grpc-js) keeps HTTP/2's 64 KiB flow-control window per
  // connection, so batches in flight on one connection wait for each other's window updates.
  const clients = Array.from(
    { length: Math.max(1, options.connections) },
    () => new McpServiceClient(address, credentials(options), channelOptions) as unknown as McpClient,
  );
  let turn = 0;
  const nextIndex = () => turn++ % clients.length;
  let batchCap = options.batch ? options.maxEvents : 1;
  let singleUntil = 0;
  let unaryUntil = 0;
  const batching = () => options.batch && now() >= singleUntil;
  const streaming = () => batching() && now() >= unaryUntil;
  /** Open streams by connection and by the key id they were opened with (the peer header is the call's). */
  const streams = new Map<string, BatchStream>();

  function signingKeyOf(events: readonly Outgoing[]): string | undefined {
    return events.find((o) => o.event.metadata[KEY_ID_KEY])?.event.metadata[KEY_ID_KEY];
  }

  /** A call's metadata with the signing key id: a signed event is its own credential at a peer that requires them (see auth/caller.ts). */
  function peerMetadata(keyId: string | undefined): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (keyId) metadata.set(PEER_HEADER, keyId);
    return metadata;
  }

  function metadataFor(events: readonly Outgoing[]): grpc.Metadata {
    const metadata = peerMetadata(signingKeyOf(events));
    // A lone event's trace context goes as the call's too (a batch's events each keep their own).
    const traceparent = events.length === 1 ? events[0]!.event.metadata[TRACEPARENT_KEY] : undefined;
    if (traceparent !== undefined) {
      metadata.set(TRACEPARENT_KEY, traceparent);
      const tracestate = events[0]!.event.metadata[TRACESTATE_KEY];
      if (tracestate !== undefined) metadata.set(TRACESTATE_KEY, tracestate);
    }
    return metadata;
  }

  function streamFor(events: readonly Outgoing[]): BatchStream {
    const index = nextIndex();
    const keyId = signingKeyOf(events);
    const key = keyId ? `${index} ${keyId}` : String(index);
    const open = streams.get(key);
    if (open?.open) return open;
    // Only the key id: the stream outlives any one event, so no event's trace context goes on the call.
    const stream = new BatchStream(clients[index]!.IngestEventBatchStream(peerMetadata(keyId)), () => {
      if (streams.get(key) === stream) streams.delete(key);
    });
    streams.set(key, stream);
    return stream;
  }

  function sendOne(outgoing: Outgoing, timeoutMs: number): Promise<AttemptAnswer> {
    return new Promise((resolve) => {
      clients[nextIndex()]!.IngestEvent(
        outgoing.protobuf(encodeIngestRequest),
        metadataFor([outgoing]),
        { deadline: Date.now() + timeoutMs },
        (error) => {
          resolve(error ? failure(error) : { protocol: 'grpc', status: 'OK' });
        },
      );
    });
  }

  /** The answers to a batch: from the peer's response, or from the status that failed it (falling back or splitting where that says to). */
  function judge(
    events: readonly Outgoing[],
    timeoutMs: number,
    response: BatchResponse | undefined,
    error: StreamStatus | undefined,
  ): AttemptAnswer[] | Promise<AttemptAnswer[]> {
    // No results: every event was taken (the receiver leaves them out then).
    if (!error && response && response.results.length === 0 && response.accepted + response.duplicates === events.length)
      return answerAll(events, DELIVERED);
    if (!error && response && response.results.length === events.length) return response.results.map((item) => grpcItem(itemAnswer(item)));
    if (!error) {
      const got = response?.results.length ?? 0;
      return answerAll(events, {
        protocol: 'grpc',
        status: 'INTERNAL',
        error: `gRPC IngestEventBatch answered ${got} results for ${events.length} events`,
      });
    }
    if (error.code === grpc.status.UNIMPLEMENTED) {
      singleUntil = now() + reprobeMs;
      return Promise.all(events.map((o) => sendOne(o, timeoutMs)));
    }
    if (isTooLarge(error) && events.length > 1) {
      const told = Number(error.metadata?.get(MAX_BATCH_METADATA)[0]);
      batchCap = Math.max(1, Math.min(events.length - 1, told > 0 ? told : Math.floor(events.length / 2)));
      return send(events, timeoutMs);
    }
    return answerAll(events, failure(error));
  }

  function sendUnary(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    return new Promise((resolve) => {
      clients[nextIndex()]!.IngestEventBatch(frameBatch(events), metadataFor(events), { deadline: Date.now() + timeoutMs }, (error, response) => {
        resolve(judge(events, timeoutMs, response, error ?? undefined));
      });
    });
  }

  async function sendOnStream(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    const result = await streamFor(events).send(frameBatch(events), timeoutMs);
    if ('response' in result) return judge(events, timeoutMs, result.response, undefined);
    if (result.status.code === grpc.status.UNIMPLEMENTED) {
      // A peer without the stream: a call per batch, remembered for a while.
      unaryUntil = now() + reprobeMs;
      return sendUnary(events, timeoutMs);
    }
    return judge(events, timeoutMs, undefined, result.status);
  }

  function sendBatch(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    return streaming() ? sendOnStream(events, timeoutMs) : sendUnary(events, timeoutMs);
  }

  async function send(events: readonly Outgoing[], timeoutMs: number): Promise<AttemptAnswer[]> {
    if (!batching()) return Promise.all(events.map((o) => sendOne(o, timeoutMs)));
    if (events.length <= batchCap) return sendBatch(events, timeoutMs);
    const parts: Promise<AttemptAnswer[]>[] = [];
    for (let i = 0; i < events.length; i += batchCap) parts.push(sendBatch(events.slice(i, i + batchCap), timeoutMs));
    return (await Promise.all(parts)).flat();
  }

  return {
    get mode() {
      return streaming() ? ('grpc-stream' as const) : batching() ? ('grpc-batch' as const) : ('grpc-single' as const);
    },
    get maxEvents() {
      return batching() ? batchCap : 1;
    },
    send,
    close() {
      for (const stream of streams.values()) stream.close();
      for (const client of clients) client.close();
    },
  };
}

const DELIVERED: AttemptAnswer = { protocol: 'grpc', status: 'OK' };

/** A per-event answer of a gRPC batch, in gRPC's words where the event would have had a gRPC status alone. */
function grpcItem(answer: AttemptAnswer): AttemptAnswer {
  if (answer.protocol !== 'http') return answer;
  if (answer.status >= 200 && answer.status < 300) return { protocol: 'grpc', status: 'OK' };
  const status = GRPC_FOR_HTTP[answer.status] ?? 'INTERNAL';
  return { protocol: 'grpc', status, error: answer.error?.replace(/^HTTP \d+/, `gRPC ${status}`), retryAfterMs: answer.retryAfterMs };
}

/** The status a single IngestEvent gets for what a batch item reports (ingress/grpc/status-map.ts). */
const GRPC_FOR_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};
