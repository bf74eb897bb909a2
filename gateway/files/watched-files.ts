// Files the gateway keeps current while it runs, one mechanism for all of them: API keys, JWT and
// federation keys, its TLS certificate and its config file, mounted from Secrets and ConfigMaps.
// Each path is a single file or a directory with one file per entry, read whole and re-read on a
// timer; a change of their contents (not of their times) is a change. Polling, not fs.watch: a
// Kubernetes volume swaps a `..data` symlink, which inotify misses.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface FileEntry {
  /** The file name (directory mode), or undefined for a single file. */
  name: string | undefined;
  content: string;
}

/** Reads a file, or every regular file of a directory (skipping the volume's dot-entries). */
export function readEntries(path: string): FileEntry[] {
  if (!statSync(path).isDirectory()) return [{ name: undefined, content: readFileSync(path, 'utf8') }];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => {
      const file = join(path, name);
      return statSync(file).isFile() ? [{ name, content: readFileSync(file, 'utf8') }] : [];
    });
}

export interface WatchedFilesOptions<T> {
  /** Files or directories, read in this order. */
  paths: readonly string[];
  /** Turns the entries into the usable form; throws (with a message) when they are not usable. */
  parse: (entries: FileEntry[]) => T;
  intervalMs: number;
  /** A change that cannot be used: the last good value is kept. */
  onError: (message: string) => void;
  onReload?: (value: T) => void;
}

/**
 * The parsed contents of some paths, kept current. The first read happens in the constructor
 * and throws, so a gateway with a missing or broken file does not start. A change that does not
 * parse (a rotation half done) keeps the last good value and is tried again when the files change.
 */
export class WatchedFiles<T> {
  private current: T;
  private digest: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: WatchedFilesOptions<T>) {
    const entries = this.read();
    this.current = options.parse(entries);
    this.digest = digestOf(entries);
    this.timer = setInterval(() => this.check(), options.intervalMs).unref();
  }

  get value(): T {
    return this.current;
  }

  private get described(): string {
    return this.options.paths.join(', ');
  }

  private read(): FileEntry[] {
    return this.options.paths.flatMap((path) => readEntries(path));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    let entries: FileEntry[];
    try {
      entries = this.read();
    } catch (error) {
      this.options.onError(`cannot read ${this.described}: ${(error as Error).message}`);
      return;
    }
    const digest = digestOf(entries);
    if (digest === this.digest) return;
    try {
      this.current = this.options.parse(entries);
      this.digest = digest;
      this.options.onReload?.(this.current);
    } catch (error) {
      this.digest = digest;
      this.options.onError(`${this.described} changed but cannot be used: ${(error as Error).message}`);
    }
  }
}

function digestOf(entries: FileEntry[]): string {
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(`${entry.name ?? ''}\0${entry.content}\0`);
  return hash.digest('hex');
}
