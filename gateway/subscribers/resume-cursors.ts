// Where a named subscriber that cannot say what it received (Argo's generic EventSource sends
// only its name) resumes after a reconnect: the gateway keeps, per name, the position it had
// written to that stream, kept in the log's store (JetStream KV with the shared log, so any replica
// continues where another stopped; process memory with the memory log).
//
// The guarantee is at least once: writes still in the connection when it broke may never have
// been read, so a stream that broke resumes after the last event written more than
// RESUME_REWIND_MS before the break, and events after that may come again. A stream that ended
// cleanly (shutdown) resumes right after its last event.
import type { Envelope } from '../log/envelope.js';
import type { StreamEnding, SubscriberTransport } from './subscriber.js';

/** How far back a broken stream resumes: writes younger than this may not have reached the client. */
export const RESUME_REWIND_MS = 1000;
/** How often a live stream's position is saved (a replica that dies loses at most this much progress). */
export const CURSOR_SAVE_INTERVAL_MS = 500;
/** Writes closer together than this share one sample: memory stays small at any rate. */
const SAMPLE_SPACING_MS = 10;

export interface CursorStore {
  /** The position to resume after for this key, if one was kept. */
  get(key: string): Promise<number | undefined>;
  /** Remembers a position; stored in the background (errors are logged, the next save retries). */
  set(key: string, position: number): void;
}

/** Cursors in process memory, for the memory log (which itself lives as long as the process). */
export class MemoryCursorStore implements CursorStore {
  private readonly positions = new Map<string, number>();

  constructor(private readonly maxKeys = 10_000) {}

  async get(key: string): Promise<number | undefined> {
    return this.positions.get(key);
  }

  set(key: string, position: number): void {
    this.positions.delete(key);
    this.positions.set(key, position);
    // Insertion order is recency: the least recently saved name is forgotten first.
    if (this.positions.size > this.maxKeys) this.positions.delete(this.positions.keys().next().value!);
  }
}

/** Positions written to a stream, sampled in time, to answer "what was written before t". */
export class WrittenPositions {
  private samples: { position: number; at: number }[] = [];

  record(position: number, at: number): void {
    const last = this.samples.at(-1);
    if (last && at - last.at < SAMPLE_SPACING_MS) {
      last.position = position;
      last.at = at;
      return;
    }
    this.samples.push({ position, at });
  }

  get last(): number | undefined {
    return this.samples.at(-1)?.position;
  }

  /** The newest position written at or before `time`; forgets samples no later answer needs. */
  writtenBy(time: number): number | undefined {
    let index = -1;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (this.samples[i]!.at <= time) {
        index = i;
        break;
      }
    }
    if (index > 0) this.samples = this.samples.slice(index);
    return index >= 0 ? this.samples[0]!.position : undefined;
  }
}

/**
 * Wraps a named subscriber's transport so the positions it writes are saved under `key`:
 * periodically while it streams, and once more when it ends. `startedAfter` is where the stream
 * began: what is saved while no write is old enough to count as received.
 */
export function resumableTransport(
  inner: SubscriberTransport,
  store: CursorStore,
  key: string,
  startedAfter: number,
  now: () => number = Date.now,
): SubscriberTransport {
  const written = new WrittenPositions();
  let saved: number | undefined;
  const save = (position: number) => {
    if (position === saved) return;
    saved = position;
    store.set(key, position);
  };
  const settled = () => written.writtenBy(now() - RESUME_REWIND_MS) ?? startedAfter;
  // Saved at once, so a stream that breaks before its first save resumes here, not at the live end.
  save(startedAfter);
  const timer = setInterval(() => save(settled()), CURSOR_SAVE_INTERVAL_MS).unref();
  const finish = (ending: StreamEnding) => {
    clearInterval(timer);
    if (ending.kind === 'cut_off') save(ending.lost.to);
    else if (ending.kind === 'gone') save(settled());
    // Ended by the gateway: everything written goes out before the status, so resume right after it.
    else save(written.last ?? startedAfter);
  };
  return {
    get gone() {
      return inner.gone;
    },
    write(envelope: Envelope) {
      written.record(envelope.position, now());
      return inner.write(envelope);
    },
    waitForDrain: () => inner.waitForDrain(),
    onGone(listener) {
      inner.onGone(() => {
        finish({ kind: 'gone' });
        listener();
      });
    },
    end(ending) {
      finish(ending);
      inner.end(ending);
    },
  };
}
