// MCPService/IngestEventBatch and IngestEventBatchStream: many events in one message, each
// answered on its own, in request order. The unary call answers one batch; the stream answers each
// batch it carries with one message, in order, and is what gateways forward to each other with: a
// new call per batch costs grpc-js ~200 µs of the sender's CPU and ~110 of the receiver's, a
// message on an open stream ~20 of each (measured on this project's machine, 2,500-byte batches).
import * as grpc from '@grpc/grpc-js';
import type { Caller } from '../../auth/caller.js';
import type { TraceCarrier } from '../../../src/event/index.js';
import { batchCounts, batchItemResult, type BatchItemResult } from '../../ingest/batch-results.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import { MAX_BATCH_METADATA } from '../../wire/names.js';
import { callerOf } from './auth-guard.js';
import { unexpectedErrorStatus, type GrpcFailure } from './status-map.js';
import { grpcTraceCarrier } from './trace-metadata.js';

interface BatchRequest {
  events: unknown[];
}

interface BatchResponse {
  results: BatchItemResult[];
  accepted: number;
  duplicates: number;
  rejected: number;
  refused: number;
}

type BatchAnswer = { ok: true; response: BatchResponse } | { ok: false; failure: GrpcFailure };

export interface IngestBatchDeps {
  ingest: IngestService;
  /** Events per batch at most (MAX_BATCH_SIZE, capped at BUFFER_SIZE as for HTTP). */
  maxBatchSize: number;
  /** Batches a stream holds unanswered before it stops reading (HTTP/2 flow control holds the sender). */
  maxPendingPerStream?: number;
  /** Aborted when the gateway starts to shut down: open streams end (see ingestBatchStreamHandler). */
  shutdown?: AbortSignal;
}

const DEFAULT_MAX_PENDING = 32;

/** One batch's answer; the call (or stream) fails only for a batch that is empty or over the limit. */
async function answerBatch(
  deps: IngestBatchDeps,
  events: unknown[],
  context: { caller: Caller; trace?: TraceCarrier | undefined },
): Promise<BatchAnswer> {
  if (events.length === 0 || events.length > deps.maxBatchSize) {
    const metadata = new grpc.Metadata();
    metadata.set(MAX_BATCH_METADATA, String(deps.maxBatchSize));
    const code = events.length === 0 ? grpc.status.INVALID_ARGUMENT : grpc.status.OUT_OF_RANGE;
    return {
      ok: false,
      failure: {
        code,
        details: `events: a batch holds 1 to ${deps.maxBatchSize} events (MAX_BATCH_SIZE, at most BUFFER_SIZE), got ${events.length}`,
        metadata,
      },
    };
  }
  const outcomes = await deps.ingest.ingestBatch(events, 'grpc', context);
  const results = outcomes.map((outcome, i) => batchItemResult(outcome, events[i]));
  const { accepted, duplicates, rejected, refused } = batchCounts(results);
  // Every event taken: the counts say so, and the results are left out (a sender reads less).
  return { ok: true, response: { results: accepted + duplicates === events.length ? [] : results, accepted, duplicates, rejected, refused } };
}

export function ingestBatchHandler(deps: IngestBatchDeps): grpc.handleUnaryCall<BatchRequest, BatchResponse> {
  // grpc-js ignores a handler's promise: an unexpected throw must still answer the call.
  return (call, callback) => {
    const context = { caller: callerOf(call), trace: grpcTraceCarrier(deps.ingest, call.metadata) };
    answerBatch(deps, call.request.events, context).then(
      (answer) => (answer.ok ? callback(null, answer.response) : callback(answer.failure)),
      (error: unknown) => callback(unexpectedErrorStatus(error)),
    );
  };
}

/**
 * Each batch is ingested as it arrives (the log appends in arrival order) and answered in order.
 * A batch the unary call would refuse ends the stream with that call's status, after the answers
 * to the batches before it, so the sender knows which batch it was (the first one unanswered).
 * When the gateway shuts down, a stream stops reading, answers what it has read, and ends with
 * UNAVAILABLE: the sender sends what it had in flight after that again, elsewhere or later.
 */
export function ingestBatchStreamHandler(deps: IngestBatchDeps): grpc.handleBidiStreamingCall<BatchRequest, BatchResponse> {
  const maxPending = deps.maxPendingPerStream ?? DEFAULT_MAX_PENDING;
  return (call) => {
    const context = { caller: callerOf(call), trace: grpcTraceCarrier(deps.ingest, call.metadata) };
    let answered: Promise<void> = Promise.resolve();
    let pending = 0;
    let draining = false;
    let ended = false;
    let halfClosed = false;
    let closing = false;

    const onShutdown = () => {
      closing = true;
      regulate();
    };
    const stop = () => {
      ended = true;
      deps.shutdown?.removeEventListener('abort', onShutdown);
    };
    const end = (failure?: GrpcFailure) => {
      if (ended) return;
      stop();
      if (failure) call.emit('error', failure);
      else call.end();
    };
    // Reads stop while too many batches wait for their answer or the client is not reading answers.
    function regulate() {
      if (ended) return;
      if (closing || pending >= maxPending || draining) call.pause();
      else call.resume();
      if (pending > 0) return;
      if (closing) end({ code: grpc.status.UNAVAILABLE, details: 'the gateway is shutting down; send to another instance' });
      else if (halfClosed) end();
    }
    const write = (answer: BatchAnswer) => {
      if (ended || call.cancelled) return;
      if (!answer.ok) return end(answer.failure);
      if (!call.write(answer.response)) {
        draining = true;
        call.once('drain', () => {
          draining = false;
          regulate();
        });
      }
    };

    call.on('data', (request: BatchRequest) => {
      if (ended || closing) return;
      pending++;
      regulate();
      const answer = answerBatch(deps, request.events, context).catch((error: unknown): BatchAnswer => ({
        ok: false,
        failure: unexpectedErrorStatus(error),
      }));
      answered = answered.then(async () => {
        write(await answer);
        pending--;
        regulate();
      });
    });
    call.on('end', () => {
      halfClosed = true;
      regulate();
    });
    // The client went away (cancelled, connection lost): nothing more is written.
    call.on('error', stop);
    if (deps.shutdown?.aborted) onShutdown();
    else deps.shutdown?.addEventListener('abort', onShutdown, { once: true });
  };
}
