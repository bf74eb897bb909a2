// The inbound half of a bidirectional stream: each message is ingested in order. When the log
// has no room the stream is paused (HTTP/2 flow control holds the client) until it has, for at
// most `maxWaitMs`; an event that still cannot be taken, or an invalid one, ends the stream with
// a status naming it, so nothing is dropped without the client knowing.
import type * as grpc from '@grpc/grpc-js';
import type { Caller } from '../../auth/caller.js';
import { isFailure, type IngestFailure, type IngestService } from '../../ingest/ingest-service.js';
import { outcomeToStatus } from './status-map.js';
import { grpcTraceCarrier } from './trace-metadata.js';

export interface InboundOptions {
  call: grpc.ServerDuplexStream<unknown, unknown>;
  ingest: IngestService;
  /** The stream's subscriber id: its own events are not echoed back to it. */
  origin: string;
  caller: Caller;
  maxWaitMs?: number;
  /** Called once the client has half-closed and every event it sent is settled. */
  onInboundDone?: () => void;
}

function eventIdOf(message: unknown): string {
  const record = message as { event_id?: unknown; id?: unknown };
  const id = record.event_id || record.id;
  return typeof id === 'string' && id !== '' ? id : '(no id)';
}

export function ingestInbound(options: InboundOptions): void {
  const { call, ingest } = options;
  // The stream's trace context (its opening metadata) for every event on it that carries none.
  const context = { origin: options.origin, caller: options.caller, trace: grpcTraceCarrier(ingest, call.metadata) };
  const maxWaitMs = options.maxWaitMs ?? ingest.admissionWaitMs;
  let failed = false;
  /** Messages received while the stream waits for room, taken in order once there is. */
  let waiting: unknown[] | undefined;
  let unsettled = 0;
  let halfClosed = false;

  const fail = (message: unknown, outcome: IngestFailure) => {
    if (failed) return;
    failed = true;
    const status = outcomeToStatus(outcome);
    status.details = `event ${eventIdOf(message)} not accepted: ${status.details}`;
    call.emit('error', status);
  };

  const settled = () => {
    unsettled--;
    if (halfClosed && unsettled === 0 && !waiting) options.onInboundDone?.();
  };

  const take = (message: unknown, waited = false) => {
    unsettled++;
    // ingest() appends synchronously before its first await, so events keep their order.
    void ingest.ingest(message, 'grpc', waited ? { waited, ...context } : context).then((outcome) => {
      if (isFailure(outcome)) fail(message, outcome);
      settled();
    });
  };

  const waitForRoom = async () => {
    call.pause();
    const room = await ingest.waitForRoom(maxWaitMs);
    const queued = waiting ?? [];
    waiting = undefined;
    if (call.cancelled || failed) return;
    if (!room) {
      // Taken anyway, without a second wait: the log answers with its own refusal, which ends the
      // stream naming the event.
      for (const message of queued) take(message, true);
      return;
    }
    for (const message of queued) {
      if (waiting) waiting.push(message);
      else if (ingest.hasRoom()) take(message);
      else {
        waiting = [message];
        void waitForRoom();
      }
    }
    if (!waiting) call.resume();
  };

  call.on('data', (message: unknown) => {
    if (failed) return;
    if (waiting) {
      waiting.push(message);
      return;
    }
    if (ingest.hasRoom()) {
      take(message);
      return;
    }
    // No room: wait for it rather than refusing, so the client is slowed, not failed.
    waiting = [message];
    void waitForRoom();
  });
  call.on('end', () => {
    halfClosed = true;
    if (unsettled === 0 && !waiting) options.onInboundDone?.();
  });
}
