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

  it('tells apart ids that differ in one byte, in length, or only beyond ASCII, and holds an empty id', () => {
    const ids = new RecentIds(100, 1_000_000, () => 0);
    for (const id of ['abc', 'abd', 'ab', 'abcd', 'é', 'e', '日本', '日木', '', '🙂']) expect(ids.checkAndRemember(id)).toBe(false);
    for (const id of ['abc', 'abd', 'ab', 'abcd', 'é', 'e', '日本', '日木', '', '🙂']) expect(ids.has(id)).toBe(true);
    expect([ids.has('abce'), ids.has('a'), ids.has('日'), ids.size]).toEqual([false, false, false, 10]);
  });

  it('never writes a new id over the oldest one held when its bytes wrap to the start of the ring', () => {
    const ids = new RecentIds(3, 1_000_000, () => 0);
    const [a, b, c] = ['a', 'b', 'c'].map((char) => char.repeat(10_000));
    for (const id of [a!, b!, c!]) ids.remember(id);
    // a is evicted; d is one byte longer than the room before b, so it cannot go at the start.
    const d = 'd'.repeat(10_001);
    ids.remember(d);
    expect([ids.has(a!), ids.has(b!), ids.has(c!), ids.has(d)]).toEqual([false, true, true, true]);
  });

  it('agrees with a Set for ids of every length, across growth of its byte ring, evictions and expiry', () => {
    let now = 0;
    const capacity = 1500;
    const ids = new RecentIds(capacity, 5000, () => now);
    const arrivals: { id: string; at: number }[] = [];
    let seed = 7;
    const random = () => ((seed = Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 30_000; i++, now += random() < 0.1 ? 3 : 0) {
      // Lengths from 1 to 300 characters, some repeated, so the byte ring wraps, skips its end and grows.
      const id = `${Math.floor(random() * 4000)}:`.padEnd(1 + Math.floor(random() * 300), 'x');
      const held = arrivals.filter((a) => now - a.at < 5000).slice(-capacity);
      const expected = held.some((a) => a.id === id);
      expect(ids.checkAndRemember(id)).toBe(expected);
      if (!expected) arrivals.push({ id, at: now });
      if (arrivals.length > 2 * capacity) arrivals.splice(0, arrivals.length - capacity);
    }
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
