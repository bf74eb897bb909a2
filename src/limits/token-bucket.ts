// A token bucket: `ratePerSecond` tokens a second, holding at most `burst`; refilled lazily on
// each use from an injectable clock. Used for the gateway's ingest rate limit and for the event
// recorder's API write budget.

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`need rate > 0 and burst >= 1, got ${ratePerSecond}/${burst}`);
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes `count` tokens if there are that many; otherwise takes none. */
  tryTake(count = 1): boolean {
    this.refill();
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }

  /** Milliseconds until `count` tokens are there (0 if they are there now). */
  msUntil(count = 1): number {
    this.refill();
    const missing = Math.min(count, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing / this.ratePerSecond) * 1000);
  }

  /** Whole seconds until `count` tokens are there, at least 1 when any wait is needed (Retry-After). */
  secondsUntil(count = 1): number {
    const ms = this.msUntil(count);
    return ms === 0 ? 0 : Math.max(1, Math.ceil(ms / 1000));
  }

  private refill(): void {
    const now = this.now();
    const elapsedSeconds = (now - this.updatedAt) / 1000;
    this.updatedAt = now;
    if (elapsedSeconds > 0) this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.ratePerSecond);
  }
}
