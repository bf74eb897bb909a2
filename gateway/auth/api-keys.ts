// API keys: held as SHA-256 digests, compared in constant time. A presented key is hashed and
// compared with every known digest (no early exit), so timing says nothing about which key, or
// how much of one, matched. Keys come from a mounted file or directory (see files/watched-files.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FileEntry } from '../files/watched-files.js';

export interface ApiKey {
  /** A non-secret name: the file name in directory mode, else a digest prefix. */
  id: string;
  digest: Buffer;
  tenant?: string | undefined;
}

/** Shortest key accepted: shorter ones are guessable. */
export const MIN_KEY_LENGTH = 16;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A file holds one key per line, optionally followed by its tenant: `<key> [tenant=<tenant>]`;
 * blank lines and lines starting with # are skipped. A directory holds one key per file (its
 * first such line), and the file name is the key's id.
 */
export function parseApiKeys(entries: FileEntry[]): ApiKey[] {
  const keys: ApiKey[] = [];
  for (const entry of entries) {
    const lines = entry.content
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    const taken = entry.name === undefined ? lines : lines.slice(0, 1);
    taken.forEach((line, index) => {
      const [key, ...attributes] = line.split(/\s+/);
      const where = entry.name === undefined ? `line ${index + 1}` : `file ${entry.name}`;
      if (!key || key.length < MIN_KEY_LENGTH) throw new Error(`${where}: a key must be at least ${MIN_KEY_LENGTH} characters`);
      let tenant: string | undefined;
      for (const attribute of attributes) {
        const match = /^tenant=(.+)$/.exec(attribute);
        if (!match) throw new Error(`${where}: unknown attribute (expected tenant=<tenant>)`);
        tenant = match[1];
      }
      const digest = sha256(key);
      keys.push({ id: entry.name ?? `key-${digest.toString('hex').slice(0, 12)}`, digest, tenant });
    });
  }
  if (keys.length === 0) throw new Error('holds no API keys');
  return keys;
}

/** The key matching `presented`, or undefined. Constant time in the presented key's content. */
export function findApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = sha256(presented);
  let found: ApiKey | undefined;
  for (const key of keys) {
    // Both digests are 32 bytes: timingSafeEqual needs equal lengths, and hashing gives them.
    if (timingSafeEqual(key.digest, digest) && found === undefined) found = key;
  }
  return found;
}
