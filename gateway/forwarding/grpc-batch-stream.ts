// One MCPService/IngestEventBatchStream call to a peer. Batches are written in order and the peer
// answers them in order, so each answer settles the oldest batch still waiting. When the call
// ends with a status, every batch still waiting gets it, except after a status that is about one
// batch (its size): only the first waiting batch is that one, and the others were never read, so
// they get UNAVAILABLE (sent again). Closing half-closes: what was written is still answered.
import * as grpc from '@grpc/grpc-js';
import type { BatchItem } from './batch-answers.js';

export interface BatchResponse {
  results: BatchItem[];
  accepted: number;
  duplicates: number;
}

/** A status that ended the stream, as grpc-js reports one. */
export interface StreamStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata | undefined;
}

/** How one batch came out: the peer's answer, or the status that ended the stream first. */
export type StreamResult = { response: BatchResponse } | { status: StreamStatus };

interface Waiting {
  settle(result: StreamResult): void;
  timer: NodeJS.Timeout;
}

/** The peer refused a batch for its size: OUT_OF_RANGE (over MAX_BATCH_SIZE), or grpc-js's own message size limit. */
export function isTooLarge(status: StreamStatus): boolean {
  return status.code === grpc.status.OUT_OF_RANGE || (status.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/i.test(status.details));
}

/** Statuses that are about the batch that ended the stream, not about the stream. */
export function isBatchStatus(status: StreamStatus): boolean {
  return isTooLarge(status) || status.code === grpc.status.INVALID_ARGUMENT;
}

export class BatchStream {
  private readonly waiting: Waiting[] = [];
  private ended = false;
  private halfClosed = false;

  constructor(
    private readonly call: grpc.ClientDuplexStream<Buffer, BatchResponse>,
    /** Called once, when the stream can take no more batches. */
    private readonly onEnded: () => void,
  ) {
    call.on('data', (response: BatchResponse) => {
      const oldest = this.waiting.shift();
      if (!oldest) return this.end({ code: grpc.status.INTERNAL, details: 'the peer answered a batch that was not sent' });
      clearTimeout(oldest.timer);
      oldest.settle({ response });
    });
    call.on('error', (error: grpc.ServiceError) => this.end({ code: error.code, details: error.details, metadata: error.metadata }));
    // An OK status with batches unanswered: they were not read.
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) this.end({ code: grpc.status.UNAVAILABLE, details: 'the peer ended the stream without answering' });
    });
  }

  /** True while it takes batches. */
  get open(): boolean {
    return !this.ended && !this.halfClosed;
  }

  /** Writes one framed IngestEventBatchRequest; settles with its answer or the status that ended the stream. */
  send(batch: Buffer, timeoutMs: number): Promise<StreamResult> {
    if (!this.open) return Promise.resolve({ status: { code: grpc.status.UNAVAILABLE, details: 'the stream has ended' } });
    return new Promise((settle) => {
      // Answers come in order: one that is late holds up every batch behind it, so the stream ends.
      const timer = setTimeout(
        () => this.end({ code: grpc.status.DEADLINE_EXCEEDED, details: `no answer on the stream within ${timeoutMs} ms` }),
        timeoutMs,
      );
      this.waiting.push({ settle, timer });
      this.call.write(batch);
    });
  }

  /** Takes no more batches; those written are still answered (the peer then ends the stream), as a closing sender's requests in flight are. */
  close(): void {
    if (!this.open) return;
    this.halfClosed = true;
    this.onEnded();
    this.call.end();
  }

  private end(status: StreamStatus): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.halfClosed) this.onEnded();
    const batchOnly = isBatchStatus(status);
    this.waiting.splice(0).forEach((waiting, i) => {
      clearTimeout(waiting.timer);
      const itsOwn = !batchOnly || i === 0;
      waiting.settle({
        status: itsOwn ? status : { code: grpc.status.UNAVAILABLE, details: `not read: the stream ended at an earlier batch (${status.details})` },
      });
    });
    this.call.cancel();
  }
}
