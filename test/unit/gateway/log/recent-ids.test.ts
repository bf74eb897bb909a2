import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../../../gateway/log/recent-ids.js';

describe('RecentIds', () => {
  it('answers seen for an id within the TTL, and forgets it after', () => {
    let now = 1_000;
    const ids = new RecentIds(10, 500, () => now);
    expect(ids.checkAndRemember('a')).toBe(false);
    expect(ids.checkAndRemember('a')).toBe(true);
    now += 499;
    expect(ids.has('a')).toBe(true);
    now += 1;
    expect(ids.has('a')).toBe(false);
    expect(ids.size).toBe(0);
    expect(ids.checkAndRemember('a')).toBe(false);
  });

  it('keeps the newest ids up to its capacity, across growth and wrap-around of its ring', () => {
    let now = 0;
    const capacity = 3000;
    const ids = new RecentIds(capacity, 1_000_000, () => now);
    for (let i = 0; i < 10_000; i++, now++) expect(ids.checkAndRemember(`id-${i}`)).toBe(false);
    expect(ids.size).toBe(capacity);
    expect(ids.has('id-6999')).toBe(false);
    for (let i = 7000; i < 10_000; i++) expect(ids.has(`id-${i}`)).toBe(true);
    // Expiry still goes oldest first after the wrap-around.
    now = 8500 + 1_000_000; // ids from before 8,501 have expired
    expect(ids.has('id-8500')).toBe(false);
    expect(ids.has('id-8501')).toBe(true);
    expect(ids.has('id-9999')).toBe(true);
    expect(ids.size).toBeLessThan(capacity);
  });

  it('remembers nothing with capacity 0', () => {
    const ids = new RecentIds(0, 1000);
    expect(ids.checkAndRemember('a')).toBe(false);
    expect(ids.checkAndRemember('a')).toBe(false);
    expect(ids.size).toBe(0);
  });

  it('remember() records an id has() just said was not held', () => {
    const ids = new RecentIds(10, 1000, () => 0);
    expect(ids.has('x')).toBe(false);
    ids.remember('x');
    expect([ids.has('x'), ids.size]).toEqual([true, 1]);
  });

  it('agrees with a Set over a long random run of repeats, evictions and wrap-arounds', () => {
    let now = 0;
    const capacity = 700;
    const ids = new RecentIds(capacity, 1_000_000, () => now);
    const order: string[] = [];
    let seed = 42;
    const random = () => ((seed = Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 20_000; i++, now++) {
      const id = `r-${Math.floor(random() * 3000)}`;
      const expected = order.slice(-capacity).includes(id);
      expect(ids.checkAndRemember(id)).toBe(expected);
      if (!expected) order.push(id);
    }
  });
});
