// The inbound half of a bidirectional stream: each message is ingested in order. When the buffer
// is full the stream is paused (HTTP/2 flow control holds the client) until the bus drains, for at
// most `maxWaitMs`; an event that still cannot be taken, or an invalid one, ends the stream with
// a status naming it, so nothing is dropped without the client knowing.
import type * as grpc from '@grpc/grpc-js';
import type { EventBus } from '../../bus/event-bus.js';
import type { Caller } from '../../auth/caller.js';
import { isFailure, type IngestFailure, type IngestService } from '../../ingest/ingest-service.js';
import { outcomeToStatus } from './status-map.js';

export interface InboundOptions {
  call: grpc.ServerDuplexStream<unknown, unknown>;
  ingest: IngestService;
  bus: EventBus;
  /** The stream's subscriber id: its own events are not echoed back to it. */
  origin: string;
  caller: Caller;
  maxWaitMs?: number;
}

function eventIdOf(message: unknown): string {
  const record = message as { event_id?: unknown; id?: unknown };
  const id = record.event_id || record.id;
  return typeof id === 'string' && id !== '' ? id : '(no id)';
}

export function ingestInbound(options: InboundOptions): void {
  const { call, ingest, bus } = options;
  const context = { origin: options.origin, caller: options.caller };
  const maxWaitMs = options.maxWaitMs ?? 1000;

  const fail = (message: unknown, outcome: IngestFailure) => {
    const status = outcomeToStatus(outcome);
    status.details = `event ${eventIdOf(message)} not accepted: ${status.details}`;
    call.emit('error', status);
  };

  const waitForRoom = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([bus.drained(), new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))]);
    clearTimeout(timer);
  };

  call.on('data', (message: unknown) => {
    const outcome = ingest.ingest(message, 'grpc', context);
    if (!isFailure(outcome)) return;
    if (outcome.status === 'refused' && outcome.reason === 'buffer_full') {
      call.pause();
      void waitForRoom().then(() => {
        if (call.cancelled) return;
        const retry = ingest.ingest(message, 'grpc', context);
        if (isFailure(retry)) fail(message, retry);
        else call.resume();
      });
      return;
    }
    fail(message, outcome);
  });
}
