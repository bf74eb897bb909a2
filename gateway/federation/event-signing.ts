// Signing keys for federation (HMAC-SHA256, see src/event/signature.ts), from a mounted file or
// directory that is re-read when it changes: rotate by adding a new key id, switching
// signingKeyId to it on every gateway, then removing the old one. Every key held is accepted for
// verification; one signs.
import { checkSignature, signEvent, type McpEvent, type SignatureCheck } from '../../src/event/index.js';
import { WatchedFiles, type FileEntry } from '../files/watched-files.js';

/** Shortest secret accepted, in bytes (the HMAC-SHA256 block is 64; 32 random bytes is plenty). */
export const MIN_SECRET_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** `<key id>=<secret>` per line (a file), or one secret per file named by its key id (a directory). */
export function parseSigningKeys(entries: FileEntry[]): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const add = (keyId: string, secret: string, where: string) => {
    if (!KEY_ID.test(keyId)) throw new Error(`${where}: the key id must be 1 to 64 of A-Z a-z 0-9 . _ -`);
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new Error(`${where}: the secret must be at least ${MIN_SECRET_BYTES} bytes`);
    if (keys.has(keyId)) throw new Error(`${where}: key id ${keyId} appears twice`);
    keys.set(keyId, Buffer.from(secret, 'utf8'));
  };
  for (const entry of entries) {
    if (entry.name !== undefined) {
      add(entry.name, entry.content.trim(), `file ${entry.name}`);
      continue;
    }
    entry.content.split(/\r?\n/).forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const separator = line.indexOf('=');
      if (separator <= 0) throw new Error(`line ${index + 1}: expected <key id>=<secret>`);
      add(line.slice(0, separator), line.slice(separator + 1), `line ${index + 1}`);
    });
  }
  if (keys.size === 0) throw new Error('holds no signing keys');
  return keys;
}

export interface EventSigningOptions {
  keysFile: string;
  /** Defaults to the first key id in the file. */
  signingKeyId?: string | undefined;
  reloadIntervalMs: number;
  onError: (message: string) => void;
}

export class EventSigning {
  private readonly keys: WatchedFiles<Map<string, Buffer>>;

  constructor(private readonly options: EventSigningOptions) {
    this.keys = new WatchedFiles({
      paths: [options.keysFile],
      parse: parseSigningKeys,
      intervalMs: options.reloadIntervalMs,
      onError: options.onError,
    });
    if (options.signingKeyId && !this.keys.value.has(options.signingKeyId)) {
      throw new Error(`the signing key id ${options.signingKeyId} is not in ${options.keysFile}`);
    }
  }

  sign(event: McpEvent): McpEvent {
    const keys = this.keys.value;
    const keyId = this.options.signingKeyId && keys.has(this.options.signingKeyId) ? this.options.signingKeyId : keys.keys().next().value!;
    return signEvent(event, keyId, keys.get(keyId)!);
  }

  check(event: McpEvent): SignatureCheck {
    return checkSignature(event, this.keys.value);
  }

  close(): void {
    this.keys.close();
  }
}
