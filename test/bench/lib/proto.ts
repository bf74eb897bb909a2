// The gateway's mcp.v1 contract as the bench clients use it. Subscribers get events as raw
// bytes and read only the event_id (field 1), which carries the send time: decoding full
// messages for 1,000 streams would make the client, not the gateway, the bottleneck.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { encodeIngestRequest } from '../../../gateway/wire/event-codec.js';
import type { McpEvent } from '../../../src/event/index.js';
import { PROTO_DIR } from '../../../src/paths.js';

const definition = protoLoader.loadSync(join(PROTO_DIR, 'mcp/v1/mcp.proto'), {
  keepCase: true,
  longs: Number,
  defaults: true,
  includeDirs: [PROTO_DIR],
});
const service = definition['mcp.v1.MCPService'] as grpc.ServiceDefinition;

export interface StreamEventsRequest {
  event_types: string[];
  start_timestamp: number;
  follow: boolean;
}

/** IngestEventRequest has the fields of the event model. */
export type IngestEventRequest = McpEvent;

/** Client whose StreamEvents yields each Event as its undecoded bytes. */
export const RawStreamClient = grpc.makeGenericClientConstructor(
  { StreamEvents: { ...service.StreamEvents!, responseDeserialize: (bytes: Buffer) => bytes } },
  'MCPService',
);

/** Client for IngestEvent (ordinary decoding). */
export const IngestClient = grpc.makeGenericClientConstructor({ IngestEvent: service.IngestEvent! }, 'MCPService');

/** Reads a base-128 varint at `offset`; returns [value, next offset]. */
function varint(bytes: Buffer, offset: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[offset++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, offset];
    shift += 7;
  }
}

/** The event_id of an encoded mcp.v1.Event, skipping any fields before it. */
export function eventIdOf(bytes: Buffer): string | undefined {
  let offset = 0;
  while (offset < bytes.length) {
    const [key, afterKey] = varint(bytes, offset);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 2) {
      const [length, start] = varint(bytes, afterKey);
      if (field === 1) return bytes.toString('latin1', start, start + length);
      offset = start + length;
    } else if (wire === 0) {
      offset = varint(bytes, afterKey)[1];
    } else if (wire === 1) {
      offset = afterKey + 8;
    } else if (wire === 5) {
      offset = afterKey + 4;
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** Bench event ids: "b-<sequence>-<send time in µs on the shared monotonic clock>". */
export function benchEventId(sequence: number, sentMicros: number): string {
  return `b-${sequence}-${sentMicros.toFixed(1)}`;
}

export function sentMicrosOf(eventId: string): number {
  return Number(eventId.slice(eventId.lastIndexOf('-') + 1));
}

/** Channel options: own connection per channel (no shared subchannel pool). */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': 8 * 1024 * 1024,
};

/** Client for GetMetrics: active_streams tells when every subscription is open on the server. */
export const MetricsClient = grpc.makeGenericClientConstructor({ GetMetrics: service.GetMetrics! }, 'MCPService');

/** The full service definition with StreamEvents responses passed through when already
 * encoded (a baseline server encodes each event once, as the gateway does). */
export const PASSTHROUGH_SERVICE: grpc.ServiceDefinition = {
  ...service,
  StreamEvents: {
    ...service.StreamEvents!,
    responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : service.StreamEvents!.responseSerialize(value)),
  },
};

/** mcp.v1.Event bytes (no position), written by the gateway's own encoder: a baseline that
 * encoded through proto-loader would pay twice what the gateway pays per event. */
export function encodeEvent(event: IngestEventRequest): Buffer {
  return encodeIngestRequest(event);
}

export interface ServerMetrics {
  /** Events accepted since start. */
  total_events: number;
  active_streams: number;
}

/** The server's own counts over GetMetrics (the gateway and the gRPC baseline both serve it). */
export function serverMetrics(port: number): Promise<ServerMetrics> {
  const client = new MetricsClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    GetMetrics(request: object, callback: (error: grpc.ServiceError | null, response?: ServerMetrics) => void): void;
  };
  return new Promise<ServerMetrics>((resolve, reject) => {
    client.GetMetrics({}, (error, response) => (error ? reject(error) : resolve(response!)));
  }).finally(() => client.close());
}

export async function activeStreams(port: number): Promise<number> {
  return (await serverMetrics(port)).active_streams;
}
