// IPC between the bench and its worker processes: commands down, one reply per command up,
// matched by id so a caller can simply await the answer.
import type { ChildProcess } from 'node:child_process';
import type { HistogramData } from './stats.js';

export type SubscriberCommand =
  { cmd: 'open'; port: number; streams: number; channels: number; startTimestamp: number } | { cmd: 'reset' } | { cmd: 'report' } | { cmd: 'close' };

export interface SubscriberReport {
  /** Streams opened and not ended. */
  open: number;
  /** Events received by all streams since the last reset. */
  received: number;
  /** Fewest and most events one stream received since the last reset. */
  minPerStream: number;
  maxPerStream: number;
  /** Ingest-to-receive latency (µs) since the last reset. */
  latency: HistogramData;
  /** Streams that ended with an error, and the first few messages. */
  errors: number;
  errorSamples: string[];
}

/** `ports`: the events go to each in turn. */
export type ProducerCommand = { cmd: 'run'; ports: number[]; rate: number; durationMs: number } | { cmd: 'close' };

export interface ProducerReport {
  sent: number;
  ok: number;
  failed: number;
  elapsedMs: number;
  errorSamples: string[];
}

let nextId = 0;

/** Sends a command to a worker and resolves with its reply (or rejects if the worker dies). */
export function request<T>(child: ChildProcess, message: object, timeoutMs = 120_000): Promise<T> {
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (reply: { id?: number; ok?: boolean; result?: T; error?: string }) => {
      if (reply.id !== id) return;
      cleanup();
      if (reply.ok) resolve(reply.result as T);
      else reject(new Error(reply.error ?? 'worker failed'));
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`worker exited (code ${code}) before answering ${JSON.stringify(message)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`worker did not answer ${JSON.stringify(message)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ ...message, id });
  });
}

/** Worker side: runs `handle` for each command and replies with its result or error. */
export function serve(handle: (message: { cmd: string } & Record<string, unknown>) => Promise<unknown>): void {
  process.on('message', (message: { id: number; cmd: string } & Record<string, unknown>) => {
    handle(message).then(
      (result) => process.send?.({ id: message.id, ok: true, result }),
      (error: Error) => process.send?.({ id: message.id, ok: false, error: error.stack ?? String(error) }),
    );
  });
  // The bench going away (even by SIGKILL) closes the IPC channel: never outlive it.
  process.on('disconnect', () => process.exit(0));
}

/** The HTTP batch producer (workers/batch-producer.ts): `paced` sends one batch per ~1 ms tick
 * holding the events due by then (open loop); `flood` keeps `concurrency` batches of
 * `batchSize` in flight for the whole duration; `single` posts one event per request, open loop
 * at `rate`, and measures each request's latency. */
export type BatchProducerCommand =
  | { cmd: 'paced'; url: string; rate: number; durationMs: number; maxBatch: number }
  | { cmd: 'flood'; url: string; durationMs: number; batchSize: number; concurrency: number }
  | { cmd: 'single'; url: string; rate: number; durationMs: number }
  | { cmd: 'close' };

export interface BatchProducerReport extends ProducerReport {
  /** HTTP requests made (batches). */
  requests: number;
}

/** `single`: one event per POST /api/v1/events at a fixed offered rate, with each request's latency (µs). */
export interface SingleProducerReport extends BatchProducerReport {
  latency: HistogramData;
}

/** How the bare JetStream publisher (workers/jetstream-publisher.ts) publishes:
 * `js-publish`: the client's own js.publish, `inFlight` awaited at once;
 * `pipelined`: core publishes with a reply subject in one wildcard inbox, acks matched by
 *   token, `inFlight` kept outstanding (the scheme the gateway uses, with nothing else around it);
 * `gateway-publisher`: the gateway's own AckedPublisher and event codec, `inFlight` awaited at once. */
export type PublishMode = 'js-publish' | 'pipelined' | 'gateway-publisher';

export type PublisherCommand =
  { cmd: 'connect'; url: string } | { cmd: 'run'; mode: PublishMode; inFlight: number; durationMs: number } | { cmd: 'close' };

export interface PublisherReport {
  mode: PublishMode;
  acked: number;
  failed: number;
  errorSamples: string[];
  elapsedMs: number;
  /** The worker's own CPU time over the run (user + system), seconds. */
  cpuS: number;
  /** Publish-to-acknowledgement latency (µs). */
  latency: HistogramData;
}
