// The answer to a batch request, read per event. Our gateways answer POST /api/v1/events/batch
// (and the gRPC IngestEventBatch) with results[] in request order: {event_id, status: accepted |
// duplicate | rejected | refused, error?, retry_after?}. The Go reference server answers the same
// route with {processed, results: [{event_id, status: accepted} | {event_id, status: "error",
// error: "rpc error: code = InvalidArgument desc = ..."}]}. Each item is turned into the answer the
// event would have had alone (the status a single request gets), so the one set of retry rules
// judges batched and single sends alike.
import type { AttemptAnswer } from './retry-policy.js';

export interface BatchItem {
  event_id?: unknown;
  status?: unknown;
  error?: unknown;
  message?: unknown;
  retry_after?: unknown;
}

/** The HTTP status a single request gets for each refusal reason (see ingress/http/replies.ts). */
const REJECTED_STATUS: Record<string, number> = {
  too_large: 413,
  payload_too_large: 413,
  tenant_mismatch: 403,
  unsigned: 401,
  bad_signature: 401,
  unknown_key_id: 401,
};
const REFUSED_STATUS: Record<string, number> = { buffer_full: 429, rate_limited: 429, unavailable: 503 };

const TAKEN: AttemptAnswer = { protocol: 'http', status: 200 };
const ALL_TAKEN = /^\{"status":"accepted",/;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, 512) : undefined;
}

/** One item of a batch answer as the answer its event would have had alone. */
export function itemAnswer(item: BatchItem): AttemptAnswer {
  const status = text(item.status) ?? 'missing';
  const reason = text(item.error);
  const detail = text(item.message) ?? reason;
  const describe = (code: number) => `HTTP ${code} (in a batch): ${status}${detail ? `: ${detail}` : ''}`;
  switch (status) {
    case 'accepted':
    case 'duplicate':
    case 'processed':
    case 'queued':
      return TAKEN;
    case 'rejected': {
      const code = (reason && REJECTED_STATUS[reason]) || 400;
      return { protocol: 'http', status: code, error: describe(code) };
    }
    case 'refused': {
      const code = (reason && REFUSED_STATUS[reason]) || 503;
      const seconds = typeof item.retry_after === 'number' && item.retry_after > 0 ? item.retry_after : undefined;
      return { protocol: 'http', status: code, error: describe(code), retryAfterMs: seconds === undefined ? undefined : seconds * 1000 };
    }
    case 'error': {
      // The Go reference: its only per-item errors are its validation's InvalidArgument.
      const code = reason && /code = InvalidArgument/.test(reason) ? 400 : 500;
      return { protocol: 'http', status: code, error: describe(code) };
    }
    default:
      return { protocol: 'http', status: 500, error: describe(500) };
  }
}

/**
 * Per-event answers from a batch answer's body, or undefined when the body holds none that line
 * up with the request (a receiver that answers the request as a whole).
 */
export function batchAnswers(body: string, count: number): AttemptAnswer[] | undefined {
  // Our gateways answer "status":"accepted" (first) when every event was taken: no need to read each.
  if (ALL_TAKEN.test(body)) return new Array<AttemptAnswer>(count).fill(TAKEN);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const results = (parsed as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== count) return undefined;
  return results.map((item) => itemAnswer(typeof item === 'object' && item !== null ? (item as BatchItem) : {}));
}
