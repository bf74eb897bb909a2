// How one attempt to deliver an event to a target ends.
import type { McpEvent } from '../../src/event/index.js';

export type SendResult =
  | { outcome: 'delivered'; status: string }
  /** Worth another attempt: no answer (connection error, timeout), or a status the retry rules name (retry-policy.ts). */
  | { outcome: 'retry'; status: string; error: string; retryAfterMs?: number }
  /** The target refused the event itself: retrying would not help. */
  | { outcome: 'failed'; status: string; error: string };

export interface Sender {
  send(event: McpEvent, timeoutMs: number): Promise<SendResult>;
  close(): void;
}
