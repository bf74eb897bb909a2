// Secrets mounted as files (a Kubernetes Secret volume): a single file, or a directory with one
// file per entry. Read whole, and re-read on a timer so rotated secrets take effect without a
// restart. Polling, not fs.watch: a Secret volume swaps a `..data` symlink, which inotify misses.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface SecretEntry {
  /** The file name (directory mode), or undefined for a single file. */
  name: string | undefined;
  content: string;
}

/** Reads a file, or every regular file of a directory (skipping the volume's dot-entries). */
export function readSecretEntries(path: string): SecretEntry[] {
  if (!statSync(path).isDirectory()) return [{ name: undefined, content: readFileSync(path, 'utf8') }];
  return readdirSync(path)
    .filter((name) => !name.startsWith('.'))
    .sort()
    .flatMap((name) => {
      const file = join(path, name);
      return statSync(file).isFile() ? [{ name, content: readFileSync(file, 'utf8') }] : [];
    });
}

export interface WatchedSecretOptions<T> {
  path: string;
  /** Turns the entries into the usable form; throws (with a message) when they are not usable. */
  parse: (entries: SecretEntry[]) => T;
  intervalMs: number;
  /** A change that cannot be used: the last good value is kept. */
  onError: (message: string) => void;
  onReload?: (value: T) => void;
}

/**
 * The parsed contents of a secret path, kept current. The first read happens in the constructor
 * and throws, so a gateway with a missing or broken secret does not start.
 */
export class WatchedSecret<T> {
  private current: T;
  private digest: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: WatchedSecretOptions<T>) {
    const entries = readSecretEntries(options.path);
    this.current = options.parse(entries);
    this.digest = digestOf(entries);
    this.timer = setInterval(() => this.check(), options.intervalMs).unref();
  }

  get value(): T {
    return this.current;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    let entries: SecretEntry[];
    try {
      entries = readSecretEntries(this.options.path);
    } catch (error) {
      this.options.onError(`cannot read ${this.options.path}: ${(error as Error).message}`);
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
      this.options.onError(`${this.options.path} changed but cannot be used: ${(error as Error).message}`);
    }
  }
}

function digestOf(entries: SecretEntry[]): string {
  const hash = createHash('sha256');
  for (const entry of entries) hash.update(`${entry.name ?? ''}\0${entry.content}\0`);
  return hash.digest('hex');
}
