// HTTP answers for ingest outcomes, shared by every ingest route.
import type { FastifyReply } from 'fastify';
import type { IngestFailure } from '../../ingest/ingest-service.js';

type Failure = IngestFailure;

const REFUSAL_CODES = { buffer_full: 429, rate_limited: 429, unavailable: 503 } as const;

/** 400 / 413 for a bad event, 401 / 403 when the caller may not send it, 429 / 503 with Retry-After
 * when the gateway cannot take it now. */
export function sendFailure(reply: FastifyReply, failure: Failure, eventId?: string, extra: object = {}): FastifyReply {
  const id = eventId ? { event_id: eventId } : {};
  if (failure.status === 'rejected') {
    return reply.code(failure.reason === 'too_large' ? 413 : 400).send({
      status: 'rejected',
      error: failure.reason === 'too_large' ? 'payload_too_large' : 'invalid_event',
      field: failure.field,
      message: failure.message,
      ...id,
      ...extra,
    });
  }
  if (failure.status === 'denied') {
    // Another tenant's event is forbidden whoever asks; a federation signature that does not
    // verify means the sender is not who it claims to be.
    return reply
      .code(failure.reason === 'tenant_mismatch' ? 403 : 401)
      .send({ status: 'rejected', error: failure.reason, message: failure.message, ...id, ...extra });
  }
  return reply
    .code(REFUSAL_CODES[failure.reason])
    .header('retry-after', String(failure.retryAfterSeconds))
    .send({ status: 'rejected', error: failure.reason, message: failure.message, ...id, ...extra });
}

export { claimedEventId } from '../../ingest/batch-results.js';
