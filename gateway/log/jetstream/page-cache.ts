// Pages of the stream read by direct get, shared by the readers of one replica. Subscribers that
// fall behind together (a burst faster than their clients read) read the same events; with a page
// each, every one of them fetched, decoded and encoded every event on its own, so falling behind
// cost several times the live fan-out and the replica fell further behind. Sharing pages gives them
// one read from NATS, one decode and (through the shared Envelope) one wire encoding per event, as
// the live fan-out does. Pages are aligned to their size, so readers at nearby positions meet on the
// same page; only full pages are kept (the last page of the log is still growing), a few of them,
// for a short time, so memory stays bounded and events that left the stream are soon forgotten.

export interface PageEntry<T> {
  /** Stream sequence of the message. */
  position: number;
  /** What it holds (undefined: a message that is not an event). */
  value: T | undefined;
}

export interface PageCacheOptions {
  /** Full pages kept, at most (each holds up to the page size of entries). */
  maxPages: number;
  /** How long a kept page is used. */
  ttlMs: number;
}

interface Page<T> {
  entries: PageEntry<T>[];
  full: boolean;
  loadedAt: number;
}

export class PageCache<T> {
  private readonly pages = new Map<string, Promise<Page<T>>>();

  constructor(
    /** Up to `max` messages from `position` on, in order (fewer at the end of the log). */
    private readonly load: (position: number, max: number) => Promise<PageEntry<T>[]>,
    private readonly options: PageCacheOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Pages held or being read. */
  get size(): number {
    return this.pages.size;
  }

  /** Forgets pages older than ttlMs (the log calls it now and then, so a burst's pages do not stay held while idle). */
  expire(): void {
    const now = this.now();
    for (const [key, loading] of this.pages) {
      void loading.then(
        (page) => {
          if (now - page.loadedAt > this.options.ttlMs && this.pages.get(key) === loading) this.pages.delete(key);
        },
        () => undefined,
      );
    }
  }

  /**
   * The entries at and after `position` of the page of `pageSize` holding it (at most `pageSize`),
   * or undefined when that page holds nothing at or after `position` (the end of the log, or a
   * stretch the store no longer holds): the caller then asks the store itself.
   */
  async read(position: number, pageSize: number): Promise<PageEntry<T>[] | undefined> {
    const start = Math.floor((position - 1) / pageSize) * pageSize + 1;
    const page = await this.page(start, pageSize);
    const from = page.entries.findIndex((entry) => entry.position >= position);
    return from === -1 ? undefined : page.entries.slice(from);
  }

  private page(start: number, pageSize: number): Promise<Page<T>> {
    const key = `${pageSize}:${start}`;
    const held = this.pages.get(key);
    if (held) {
      return held.then((page) => {
        if (this.now() - page.loadedAt <= this.options.ttlMs) return page;
        // Expired: one reader reloads it, the others wait for that reload.
        const current = this.pages.get(key);
        return current !== undefined && current !== held ? current : this.reload(key, start, pageSize);
      });
    }
    return this.reload(key, start, pageSize);
  }

  private reload(key: string, start: number, pageSize: number): Promise<Page<T>> {
    const loading = this.load(start, pageSize).then((entries): Page<T> => ({ entries, full: entries.length >= pageSize, loadedAt: this.now() }));
    this.pages.delete(key);
    this.pages.set(key, loading);
    // Readers asking while it loads share the read; afterwards only full pages stay.
    loading.then(
      (page) => {
        if (!page.full && this.pages.get(key) === loading) this.pages.delete(key);
      },
      () => {
        if (this.pages.get(key) === loading) this.pages.delete(key);
      },
    );
    for (const oldest of this.pages.keys()) {
      if (this.pages.size <= this.options.maxPages) break;
      this.pages.delete(oldest);
    }
    return loading;
  }
}
