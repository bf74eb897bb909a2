// The delivery policy of an event to a target: per-attempt timeout, attempts, backoff and which
// answers are retried. A target reached by several routes (and as a peer) gets each event once,
// under the stricter of the policies of everything that matched it: the one that asks more of
// delivery, component by component: the most attempts, the longest timeout, the longest backoff
// bounds, and every answer any of them retries (the union of the retryOn lists).
import { DEFAULT_GRPC_RETRY_ON, DEFAULT_HTTP_RETRY_ON, type RetryOnEntry } from '../../src/config/retry-on.js';
import { compileRetryOn, type RetryPolicy, type RetryRules } from './retry-policy.js';

export interface DeliveryPolicy {
  timeoutMs: number;
  retry: RetryPolicy;
}

/** A policy with its retry rules compiled once, and its delivery deadline. */
export interface CompiledPolicy extends DeliveryPolicy {
  rules: RetryRules;
  deadlineMs: number;
}

export function compilePolicy(policy: DeliveryPolicy): CompiledPolicy {
  return { ...policy, rules: compileRetryOn(policy.retry.retryOn), deadlineMs: deliveryDeadlineMs(policy) };
}

const isHttpEntry = (entry: RetryOnEntry) => typeof entry === 'number' || /^[345]xx$/.test(entry);

/** A retryOn list with the defaults it leaves implicit written out (a list naming no HTTP entry keeps the HTTP default). */
function explicitRetryOn(entries: readonly RetryOnEntry[] | undefined): RetryOnEntry[] {
  const list = entries ?? [...DEFAULT_HTTP_RETRY_ON, ...DEFAULT_GRPC_RETRY_ON];
  const http = list.filter(isHttpEntry);
  const grpc = list.filter((e) => !isHttpEntry(e));
  return [...(http.length > 0 ? http : DEFAULT_HTTP_RETRY_ON), ...(grpc.length > 0 ? grpc : DEFAULT_GRPC_RETRY_ON)];
}

/** The stricter of several policies (see the top of this file); one policy is returned as it is. */
export function stricter(policies: readonly DeliveryPolicy[]): DeliveryPolicy {
  if (policies.length === 1) return policies[0]!;
  const retryOn = [...new Set(policies.flatMap((p) => explicitRetryOn(p.retry.retryOn)))];
  return {
    timeoutMs: Math.max(...policies.map((p) => p.timeoutMs)),
    retry: {
      maxAttempts: Math.max(...policies.map((p) => p.retry.maxAttempts)),
      initialBackoffMs: Math.max(...policies.map((p) => p.retry.initialBackoffMs)),
      maxBackoffMs: Math.max(...policies.map((p) => p.retry.maxBackoffMs)),
      retryOn,
    },
  };
}

/**
 * How long an event may be held for a target, from when the target took it: the time its
 * attempts could take if every one timed out and every wait between them was the longest
 * backoff. Past it the event is dead-lettered (expired) even if attempts are left, as when the
 * target's circuit is open and no attempt is made: a target that keeps failing never holds an
 * event longer than this.
 */
export function deliveryDeadlineMs(policy: DeliveryPolicy): number {
  const { maxAttempts, maxBackoffMs } = policy.retry;
  return maxAttempts * policy.timeoutMs + (maxAttempts - 1) * maxBackoffMs;
}
