import { describe, expect, it } from 'vitest';
import { ClientRateLimiter } from '../../../src/limits/client-rate-limiter.js';

describe('ClientRateLimiter', () => {
  it('gives each client its own bucket and says how long to wait', () => {
    let now = 0;
    const limiter = new ClientRateLimiter({ eventsPerSecond: 1, burst: 2, maxClients: 10, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 1]);
    expect(limiter.take('b')).toBe(0);
    now = 1000;
    expect(limiter.take('a')).toBe(0);
  });

  it('holds at most maxClients buckets, forgetting the least recently seen first', () => {
    const limiter = new ClientRateLimiter({ eventsPerSecond: 1, burst: 1, maxClients: 3, now: () => 0 });
    limiter.take('keep'); // empties its bucket
    for (let i = 0; i < 1000; i++) {
      limiter.take(`client-${i}`);
      limiter.take('keep'); // seen again each time: never the least recent
    }
    expect(limiter.size).toBe(3);
    expect(limiter.evicted).toBe(998);
    expect(limiter.take('keep')).toBeGreaterThan(0); // still limited: its bucket was kept
  });
});
