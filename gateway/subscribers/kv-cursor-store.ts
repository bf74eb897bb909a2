// Named subscribers' resume positions in a JetStream key-value bucket, so a reconnecting Argo
// EventSource continues where it stopped on whichever replica it reaches, after any restart.
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from '../../src/observability/logger.js';
import type { JetStreamLog } from '../log/jetstream/jetstream-log.js';
import type { JetStreamSettings } from '../log/jetstream/settings.js';
import type { CursorStore } from './resume-cursors.js';

/** A name not seen for this long is forgotten. */
const CURSOR_TTL_MS = 7 * 24 * 3_600_000;

/** Opens (creating if needed) the bucket on first use, after the log has connected. */
export class KvCursorStore implements CursorStore {
  private bucket: Promise<KV> | undefined;

  constructor(
    private readonly log: JetStreamLog,
    private readonly settings: JetStreamSettings,
    private readonly logger: Logger,
  ) {}

  private kv(): Promise<KV> {
    this.bucket ??= this.open().catch((error: Error) => {
      this.bucket = undefined; // the next use tries again
      throw error;
    });
    return this.bucket;
  }

  private async open(): Promise<KV> {
    const stream = this.settings.config.stream;
    return new Kvm(this.log.clients.js).create(this.settings.cursorBucket, {
      history: 1,
      replicas: stream.replicas,
      storage: stream.storage === 'memory' ? 'memory' : 'file',
      ttl: CURSOR_TTL_MS,
      description: 'TAS MCP gateway: where named subscribers (Argo EventSources) resume',
    });
  }

  async get(key: string): Promise<number | undefined> {
    const entry = await (await this.kv()).get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const position = Number(entry.string());
    return Number.isSafeInteger(position) && position >= 0 ? position : undefined;
  }

  set(key: string, position: number): void {
    this.kv()
      .then((kv) => kv.put(key, String(position)))
      .catch((error: Error) => {
        this.logger.warn({ key, position, error: error.message }, 'cannot save a subscriber resume position; the next save tries again');
      });
  }
}
