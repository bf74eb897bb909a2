// JetStream API errors by their codes, as the maintained client reports them.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

function hasCode(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

export const isStreamNotFound = (error: unknown): boolean => hasCode(error, JetStreamApiCodes.StreamNotFound);
export const isConsumerNotFound = (error: unknown): boolean => hasCode(error, JetStreamApiCodes.ConsumerNotFound);
/** A direct get past the end of a stream (or at a position nothing holds). */
export const isNoMessage = (error: unknown): boolean =>
  hasCode(error, JetStreamApiCodes.NoMessageFound) || /message not found/i.test((error as Error | undefined)?.message ?? '');
