import { describe, expect, it } from 'vitest';
import { PageCache, type PageEntry } from '../../../../../gateway/log/jetstream/page-cache.js';

/** A store holding positions `first`..`last` (minus `missing`), read through a counting loader. */
function store(first: number, last: number, missing: number[] = []) {
  const loads: [number, number][] = [];
  let fail = false;
  const load = async (position: number, max: number): Promise<PageEntry<string>[]> => {
    loads.push([position, max]);
    await Promise.resolve();
    if (fail) throw new Error('store unreachable');
    const entries: PageEntry<string>[] = [];
    for (let p = Math.max(position, first); p <= last && entries.length < max; p++) {
      if (!missing.includes(p)) entries.push({ position: p, value: `e${p}` });
    }
    return entries;
  };
  return { load, loads, failing: (value: boolean) => (fail = value), grow: (to: number) => (last = to) };
}

const positions = (entries: PageEntry<string>[] | undefined) => entries?.map((e) => e.position);

describe('PageCache', () => {
  it('reads the aligned page holding a position and gives the entries from it on; readers on one page share one read', async () => {
    const s = store(1, 100);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    const [a, b] = await Promise.all([cache.read(6, 4), cache.read(7, 4)]);
    expect(positions(a)).toEqual([6, 7, 8]);
    expect(positions(b)).toEqual([7, 8]);
    expect(await cache.read(5, 4).then(positions)).toEqual([5, 6, 7, 8]);
    expect(s.loads).toEqual([[5, 4]]);
    // Same values, not copies: the readers share what was decoded.
    expect(a![0]).toBe((await cache.read(5, 4))![1]);
  });

  it('keeps pages per page size', async () => {
    const s = store(1, 100);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    await cache.read(6, 4);
    await cache.read(6, 8);
    expect(s.loads).toEqual([
      [5, 4],
      [1, 8],
    ]);
  });

  it('does not keep the page at the end of the log (it still grows): the next read sees what was added', async () => {
    const s = store(1, 6);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    expect(positions(await cache.read(5, 4))).toEqual([5, 6]);
    s.grow(8);
    expect(positions(await cache.read(5, 4))).toEqual([5, 6, 7, 8]);
    expect(await cache.read(5, 4).then(positions)).toEqual([5, 6, 7, 8]);
    expect(s.loads).toEqual([
      [5, 4],
      [5, 4],
    ]);
    expect(cache.size).toBe(1);
  });

  it('answers undefined when the page holds nothing at or after the position, so the caller asks the store', async () => {
    const s = store(1, 6);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    expect(await cache.read(7, 4)).toBeUndefined();
    expect(await cache.read(9, 4)).toBeUndefined();
  });

  it('shows a stretch the store no longer holds as a first entry past the position', async () => {
    const s = store(7, 100);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    expect(positions(await cache.read(5, 4))).toEqual([7, 8, 9, 10]);
  });

  it('holds at most maxPages pages, dropping the oldest', async () => {
    const s = store(1, 100);
    const cache = new PageCache(s.load, { maxPages: 2, ttlMs: 1000 });
    await cache.read(1, 4);
    await cache.read(5, 4);
    await cache.read(9, 4);
    expect(cache.size).toBe(2);
    await cache.read(1, 4);
    expect(s.loads.map(([p]) => p)).toEqual([1, 5, 9, 1]);
  });

  it('reads a page again once it is older than ttlMs', async () => {
    const s = store(1, 100);
    let now = 0;
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 }, () => now);
    await cache.read(1, 4);
    now = 999;
    await cache.read(2, 4);
    now = 2000;
    await Promise.all([cache.read(3, 4), cache.read(4, 4)]);
    expect(s.loads).toEqual([
      [1, 4],
      [1, 4],
    ]);
  });

  it('expire() forgets pages older than ttlMs and keeps the others', async () => {
    const s = store(1, 100);
    let now = 0;
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 }, () => now);
    await cache.read(1, 4);
    now = 800;
    await cache.read(5, 4);
    now = 1500;
    cache.expire();
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.size).toBe(1);
    await cache.read(5, 4);
    expect(s.loads.map(([p]) => p)).toEqual([1, 5]);
  });

  it('a failed read rejects its readers and is not kept', async () => {
    const s = store(1, 100);
    const cache = new PageCache(s.load, { maxPages: 4, ttlMs: 1000 });
    s.failing(true);
    await expect(cache.read(1, 4)).rejects.toThrow('store unreachable');
    expect(cache.size).toBe(0);
    s.failing(false);
    expect(positions(await cache.read(1, 4))).toEqual([1, 2, 3, 4]);
  });

  it('keeps entries that are not events in their place', async () => {
    const cache = new PageCache<string>(
      async () => [
        { position: 1, value: 'e1' },
        { position: 2, value: undefined },
        { position: 3, value: 'e3' },
      ],
      { maxPages: 1, ttlMs: 1000 },
    );
    expect(await cache.read(2, 3)).toEqual([
      { position: 2, value: undefined },
      { position: 3, value: 'e3' },
    ]);
  });
});
