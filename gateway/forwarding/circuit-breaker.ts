// A circuit breaker per target: after `failureThreshold` failures in a row it opens and no
// attempts are made for `cooldownMs`; then one probe is let through (half-open), and its outcome
// closes or re-opens the circuit.

export type CircuitState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  state: CircuitState = 'closed';

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** May an attempt start now? In half-open, only one at a time. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.cooldownMs) return false;
      this.state = 'half_open';
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until an attempt may be allowed again (0 when closed). */
  waitMs(): number {
    return this.state === 'open' ? Math.max(0, this.cooldownMs - (this.now() - this.openedAt)) : 0;
  }

  /** Failures in a row so far. */
  get failuresInARow(): number {
    return this.failures;
  }

  succeeded(): void {
    this.failures = 0;
    this.probing = false;
    this.state = 'closed';
  }

  /** Counts a failure; true when this one opened the circuit. */
  failed(): boolean {
    this.probing = false;
    this.failures++;
    if (this.state === 'open' || (this.state === 'closed' && this.failures < this.failureThreshold)) return false;
    const opening = this.state === 'closed';
    this.state = 'open';
    this.openedAt = this.now();
    return opening;
  }
}
