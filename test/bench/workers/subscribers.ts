// A separate process hosting many StreamEvents subscribers: `channels` gRPC channels, each its
// own TCP connection, with the streams spread over them (grpc-js multiplexes a channel's streams
// on one HTTP/2 connection). Counts what every stream receives and the ingest-to-receive latency.
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { monotonicMicros } from '../lib/clock.js';
import { serve, type SubscriberCommand, type SubscriberReport } from '../lib/messages.js';
import { CHANNEL_OPTIONS, eventIdOf, RawStreamClient, sentMicrosOf } from '../lib/proto.js';
import { Histogram } from '../lib/stats.js';

interface StreamState {
  call: grpc.ClientReadableStream<Buffer>;
  received: number;
  /** `received` at the last reset. */
  baseline: number;
  ended: boolean;
}

const clients: grpc.Client[] = [];
const streams: StreamState[] = [];
const latency = new Histogram();
let errors = 0;
const errorSamples: string[] = [];

function open(port: number, count: number, channels: number, startTimestamp: number): { opened: number } {
  // BENCH_SUBSCRIBER_CA_FILE: the server speaks TLS with a certificate that CA signed.
  const ca = process.env.BENCH_SUBSCRIBER_CA_FILE;
  const credentials = ca ? grpc.credentials.createSsl(readFileSync(ca)) : grpc.credentials.createInsecure();
  for (let c = 0; c < channels; c++) clients.push(new RawStreamClient(`127.0.0.1:${port}`, credentials, CHANNEL_OPTIONS));
  for (let i = 0; i < count; i++) {
    const client = clients[clients.length - channels + (i % channels)] as grpc.Client & {
      StreamEvents(request: object): grpc.ClientReadableStream<Buffer>;
    };
    const call = client.StreamEvents({ event_types: [], start_timestamp: startTimestamp, follow: true });
    const state: StreamState = { call, received: 0, baseline: 0, ended: false };
    call.on('data', (bytes: Buffer) => {
      const receivedAt = monotonicMicros();
      state.received++;
      const id = eventIdOf(bytes);
      if (id !== undefined) latency.record(receivedAt - sentMicrosOf(id));
    });
    call.on('error', (error: grpc.ServiceError) => {
      state.ended = true;
      if (error.code === grpc.status.CANCELLED) return;
      errors++;
      if (errorSamples.length < 5) errorSamples.push(`${grpc.status[error.code]}: ${error.details}`);
    });
    call.on('end', () => (state.ended = true));
    streams.push(state);
  }
  return { opened: count };
}

function report(): SubscriberReport {
  let received = 0;
  let min = Infinity;
  let max = 0;
  for (const stream of streams) {
    const since = stream.received - stream.baseline;
    received += since;
    if (since < min) min = since;
    if (since > max) max = since;
  }
  return {
    open: streams.filter((s) => !s.ended).length,
    received,
    minPerStream: streams.length === 0 ? 0 : min,
    maxPerStream: max,
    latency: latency.toJSON(),
    errors,
    errorSamples,
  };
}

serve(async (message) => {
  const command = message as unknown as SubscriberCommand;
  switch (command.cmd) {
    case 'open':
      return open(command.port, command.streams, command.channels, command.startTimestamp);
    case 'reset':
      for (const stream of streams) stream.baseline = stream.received;
      latency.reset();
      return {};
    case 'report':
      return report();
    case 'close':
      for (const stream of streams) stream.call.cancel();
      for (const client of clients) client.close();
      setTimeout(() => process.exit(0), 50);
      return {};
  }
});
