// Parent-side handles on the worker processes (subscribers, producer), both on the client core.
import type { ChildProcess } from 'node:child_process';
import { request, type BatchProducerReport, type ProducerReport, type SingleProducerReport, type SubscriberReport } from './messages.js';
import { CORES, spawnNodeWorker, stop, waitFor } from './processes.js';

export interface SubscriberWorker {
  child: ChildProcess;
  report(): Promise<SubscriberReport>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A gRPC server the subscribers connect to (the gateway, or a baseline). */
export interface StreamServer {
  grpc: number;
  /** Streams the server counts as open. */
  activeStreams(): Promise<number>;
}

/** Opens `streams` live-only StreamEvents subscriptions over `channels` connections, and waits
 * until the server counts them all as active (a server stream sends nothing on open, so the
 * client cannot tell by itself). Given several servers (the replicas of one gateway), the
 * streams and connections are split evenly between them, in one worker process. */
export async function startSubscribers(
  servers: StreamServer | StreamServer[],
  streams: number,
  channels: number,
  /** The worker's environment: BENCH_SUBSCRIBER_CA_FILE subscribes over TLS, trusting that CA. */
  env?: NodeJS.ProcessEnv,
): Promise<SubscriberWorker> {
  const list = Array.isArray(servers) ? servers : [servers];
  const child = spawnNodeWorker('workers/subscribers.js', CORES.client, env);
  const shares = list.map((_, i) => Math.floor(streams / list.length) + (i < streams % list.length ? 1 : 0));
  const channelsEach = Math.max(1, Math.round(channels / list.length));
  for (const [i, server] of list.entries()) {
    await request(child, { cmd: 'open', port: server.grpc, streams: shares[i]!, channels: channelsEach, startTimestamp: Date.now() });
  }
  for (const [i, server] of list.entries()) {
    await waitFor(
      `${shares[i]} streams to be active on the server (port ${server.grpc})`,
      async () => (await server.activeStreams()) >= shares[i]!,
      60_000,
      200,
    );
  }
  return {
    child,
    report: () => request<SubscriberReport>(child, { cmd: 'report' }),
    reset: async () => {
      await request(child, { cmd: 'reset' });
    },
    close: async () => {
      await request(child, { cmd: 'close' }).catch(() => undefined);
      await stop(child, 3000);
    },
  };
}

export interface ProducerWorker {
  child: ChildProcess;
  /** Open loop at `rate` events/s; to several ports (replicas), each event to the next in turn. */
  run(ports: number | number[], rate: number, durationMs: number): Promise<ProducerReport>;
  close(): Promise<void>;
}

export function startProducer(): ProducerWorker {
  const child = spawnNodeWorker('workers/producer.js', CORES.client);
  return {
    child,
    run: (ports, rate, durationMs) =>
      request<ProducerReport>(child, { cmd: 'run', ports: Array.isArray(ports) ? ports : [ports], rate, durationMs }, durationMs + 120_000),
    close: async () => {
      await request(child, { cmd: 'close' }).catch(() => undefined);
      await stop(child, 3000);
    },
  };
}

export interface BatchProducerWorker {
  child: ChildProcess;
  /** Open loop at `rate` events/s, at most `maxBatch` events per request. */
  paced(url: string, rate: number, durationMs: number, maxBatch: number): Promise<BatchProducerReport>;
  /** As fast as the gateway takes them: `concurrency` requests of `batchSize` events in flight. */
  flood(url: string, durationMs: number, batchSize: number, concurrency: number): Promise<BatchProducerReport>;
  /** One event per request, open loop at `rate` requests/s, with each request's latency. */
  single(url: string, rate: number, durationMs: number): Promise<SingleProducerReport>;
  close(): Promise<void>;
}

export function startBatchProducer(): BatchProducerWorker {
  const child = spawnNodeWorker('workers/batch-producer.js', CORES.client);
  return {
    child,
    paced: (url, rate, durationMs, maxBatch) => request(child, { cmd: 'paced', url, rate, durationMs, maxBatch }, durationMs + 120_000),
    flood: (url, durationMs, batchSize, concurrency) =>
      request(child, { cmd: 'flood', url, durationMs, batchSize, concurrency }, durationMs + 120_000),
    single: (url, rate, durationMs) => request(child, { cmd: 'single', url, rate, durationMs }, durationMs + 120_000),
    close: async () => {
      await request(child, { cmd: 'close' }).catch(() => undefined);
      await stop(child, 3000);
    },
  };
}
