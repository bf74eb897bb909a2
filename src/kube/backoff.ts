// Exponential backoff, two flavours: per-key failure counting for the work queue (like client-go's
// ItemExponentialFailureRateLimiter) and a jittered delay for reconnect loops, so many clients
// that lost the API server at once do not come back in lock-step.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** base * 2^attempt, capped; attempt counts from 0. */
export function exponentialDelay(attempt: number, { baseMs, maxMs }: BackoffOptions): number {
  // 2^exp overflows to Infinity for large attempts; Math.min handles that.
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
}

/** The exponential delay with "equal jitter": half fixed, half random, so it never drops to zero. */
export function jitteredDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const delay = exponentialDelay(attempt, options);
  return delay / 2 + random() * (delay / 2);
}

/** Counts failures per key; the delay doubles with each failure until forget(key). */
export class PerKeyBackoff {
  private readonly failures = new Map<string, number>();

  constructor(private readonly options: BackoffOptions) {}

  /** Records one more failure for `key` and returns how long to wait before the retry. */
  next(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return exponentialDelay(attempt, this.options);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}
