// JetStream API errors by their codes, as the maintained client reports them.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

function hasCode(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

export const isStreamNotFound = (error: unknown): boolean => hasCode(error, JetStreamApiCodes.StreamNotFound);
export const isConsumerNotFound = (error: unknown): boolean => hasCode(error, JetStreamApiCodes.ConsumerNotFound);
/** A direct get past the end of a stream (or at a position nothing holds). */
export const isNoMessage = (error: unknown): boolean =>
  hasCode(error, JetStreamApiCodes.NoMessageFound) || /message not found/i.test((error as Error | undefined)?.message ?? '');

/**
 * An answer that may be different in a moment: no answer in time, nobody answering yet (a
 * cluster still electing its meta leader), or JetStream saying it is unavailable (5xx).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TimeoutError || error instanceof NoRespondersError) return true;
  if (error instanceof RequestError) return isTransient(error.cause);
  return error instanceof JetStreamApiError && error.status >= 500;
}
