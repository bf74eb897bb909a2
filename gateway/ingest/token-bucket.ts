// A token bucket: `rate` tokens a second, holding at most `burst`. Refills lazily on each take.

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
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

  /** Seconds until `count` tokens will be there, rounded up (for Retry-After). */
  secondsUntil(count = 1): number {
    this.refill();
    const missing = Math.min(count, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.max(1, Math.ceil(missing / this.rate));
  }

  private refill(): void {
    const now = this.now();
    const elapsed = (now - this.updatedAt) / 1000;
    this.updatedAt = now;
    if (elapsed > 0) this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
  }
}
