import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/limits/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the rate, and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    expect(bucket.secondsUntil()).toBe(1);
    now = 500; // half a second at 2/s: one token
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    now = 10_000;
    expect(bucket.tryTake(3)).toBe(true); // refilled to the burst, not beyond
    expect(bucket.tryTake(1)).toBe(false);
  });

  it('takes all or none of a multi-token request', () => {
    const bucket = new TokenBucket(1, 5, () => 0);
    expect(bucket.tryTake(6)).toBe(false);
    expect(bucket.tryTake(5)).toBe(true);
  });
});

describe('TokenBucket waits', () => {
  it('says how long until tokens are there, in ms and in whole seconds for Retry-After', () => {
    let now = 0;
    const bucket = new TokenBucket(4, 1, () => now);
    expect(bucket.msUntil()).toBe(0);
    bucket.tryTake();
    expect(bucket.msUntil()).toBe(250);
    expect(bucket.secondsUntil()).toBe(1);
    now = 250;
    expect(bucket.secondsUntil()).toBe(0);
  });

  it('refuses a rate or burst that cannot work', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
  });
});
