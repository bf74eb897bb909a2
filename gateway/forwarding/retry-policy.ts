// When to try again and how long to wait: which answers are worth another attempt (the user's
// `retryOn` rules, one classification for every sender), and exponential backoff with full
// jitter, capped, with a server's Retry-After honoured.
import { DEFAULT_GRPC_RETRY_ON, DEFAULT_HTTP_RETRY_ON, DEFAULT_RETRY_ON, type RetryOnEntry } from '../../src/config/retry-on.js';

/** How one attempt to deliver an event to a target ends, judged by the retry rules. */
export type SendResult =
  | { outcome: 'delivered'; status: string }
  /** Worth another attempt: no answer (connection error, timeout), or a status the retry rules name. */
  | { outcome: 'retry'; status: string; error: string; retryAfterMs?: number }
  /** The target refused the event itself: retrying would not help. */
  | { outcome: 'failed'; status: string; error: string };

/** The longest Retry-After we honour, so a confused server cannot park events for a day. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Answers worth another attempt (src/config/retry-on.ts); unset = the defaults. */
  retryOn?: readonly RetryOnEntry[] | undefined;
}

/** What one attempt got back, as the sender saw it, before the retry rules judge it. */
export type AttemptAnswer =
  /** The HTTP target answered with this status. */
  | { protocol: 'http'; status: number; error?: string; retryAfterMs?: number | undefined }
  /** The gRPC target ended the call with this status name (OK, UNAVAILABLE, ...). */
  | { protocol: 'grpc'; status: string; error?: string; retryAfterMs?: number | undefined }
  /** No answer: the connection failed or the attempt timed out (`status` names which, e.g. ECONNREFUSED, timeout). */
  | { protocol: 'none'; status: string; error: string };

export interface RetryRules {
  retriesHttp(status: number): boolean;
  retriesGrpc(status: string): boolean;
}

/** gRPC's own words for "no connection" and "no answer in time": retried whatever the list says. */
const GRPC_NO_ANSWER = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

/** The rules of a retryOn list; a list naming no HTTP (or no gRPC) entry keeps that kind's default. */
export function compileRetryOn(entries: readonly RetryOnEntry[] = DEFAULT_RETRY_ON): RetryRules {
  const isHttp = (e: RetryOnEntry) => typeof e === 'number' || /^[345]xx$/.test(e);
  const http = entries.some(isHttp) ? entries.filter(isHttp) : DEFAULT_HTTP_RETRY_ON;
  const grpc = entries.some((e) => !isHttp(e)) ? entries.filter((e) => !isHttp(e)) : DEFAULT_GRPC_RETRY_ON;
  const statuses = new Set(http.filter((e) => typeof e === 'number'));
  const classes = new Set(http.filter((e) => typeof e === 'string').map((c) => Number(String(c)[0])));
  const grpcNames = new Set([...grpc.map(String), ...GRPC_NO_ANSWER]);
  return {
    retriesHttp: (status) => statuses.has(status) || classes.has(Math.floor(status / 100)),
    retriesGrpc: (status) => grpcNames.has(status),
  };
}

export const DEFAULT_RETRY_RULES = compileRetryOn();

/** How an attempt ends, by the rules: delivered, worth another attempt, or refused for good. */
export function classifyAttempt(answer: AttemptAnswer, rules: RetryRules = DEFAULT_RETRY_RULES): SendResult {
  const retryAfter = 'retryAfterMs' in answer && answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {};
  switch (answer.protocol) {
    case 'none':
      return { outcome: 'retry', status: answer.status, error: answer.error };
    case 'http': {
      const status = String(answer.status);
      if (answer.status >= 200 && answer.status < 300) return { outcome: 'delivered', status };
      const error = answer.error ?? `HTTP ${status}`;
      return rules.retriesHttp(answer.status) ? { outcome: 'retry', status, error, ...retryAfter } : { outcome: 'failed', status, error };
    }
    case 'grpc': {
      // ALREADY_EXISTS: the peer has this event already (a duplicate), which is what delivery means.
      if (answer.status === 'OK' || answer.status === 'ALREADY_EXISTS') return { outcome: 'delivered', status: 'OK' };
      const error = answer.error ?? `gRPC ${answer.status}`;
      return rules.retriesGrpc(answer.status)
        ? { outcome: 'retry', status: answer.status, error, ...retryAfter }
        : { outcome: 'failed', status: answer.status, error };
    }
  }
}

/** Wait before attempt number `attempt + 1` (attempt counts from 1). */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 1));
  const jittered = Math.max(1, Math.round(ceiling * random()));
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
