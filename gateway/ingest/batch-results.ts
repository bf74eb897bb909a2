// One event of a batch as the batch answers it (POST /api/v1/events/batch, gRPC IngestEventBatch):
// the Go reference server's {event_id, status, error}, and what we know besides.
import { isFailure, type IngestOutcome } from './ingest-service.js';

export interface BatchItemResult {
  event_id: string;
  status: 'accepted' | 'duplicate' | 'rejected' | 'refused';
  error?: string;
  field?: string;
  message?: string;
  retry_after?: number;
}

/** The id a client sent, if any, to echo back in a rejection. */
export function claimedEventId(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { event_id, id } = body as { event_id?: unknown; id?: unknown };
  const candidate = event_id ?? id;
  return typeof candidate === 'string' && candidate.length <= 128 ? candidate : undefined;
}

export function batchItemResult(outcome: IngestOutcome, input: unknown): BatchItemResult {
  if (!isFailure(outcome)) return { event_id: outcome.event.event_id, status: outcome.status };
  const event_id = claimedEventId(input) ?? '';
  if (outcome.status === 'rejected') return { event_id, status: 'rejected', error: outcome.reason, field: outcome.field, message: outcome.message };
  if (outcome.status === 'denied') return { event_id, status: 'rejected', error: outcome.reason, message: outcome.message };
  return { event_id, status: 'refused', error: outcome.reason, message: outcome.message, retry_after: outcome.retryAfterSeconds };
}

/** What an HTTP batch answer carries besides its status: the counts, each event's id, the results. */
export function batchSummary(results: BatchItemResult[]) {
  const { processed, accepted, duplicates, rejected, refused } = batchCounts(results);
  return { processed, accepted, duplicates, rejected, refused, event_ids: results.map((r) => r.event_id), results };
}

/** The counts a batch answer carries beside its results. */
export function batchCounts(results: readonly BatchItemResult[]) {
  const count = (status: BatchItemResult['status']) => results.filter((r) => r.status === status).length;
  return {
    processed: results.length,
    accepted: count('accepted'),
    duplicates: count('duplicate'),
    rejected: count('rejected'),
    refused: count('refused'),
  };
}
