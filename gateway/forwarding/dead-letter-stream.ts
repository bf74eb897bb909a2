// Dead letters in a JetStream stream: kept across restarts, the same for every replica, listed
// and redriven from any of them. A letter is one message (`<prefix>.dlq.<target>`); its id is
// `dl-<sequence>`; redrive deletes it once the event was delivered or dead-lettered anew.
import type { Logger } from '../../src/observability/logger.js';
import { isNoMessage } from '../log/jetstream/errors.js';
import type { JetStreamLog } from '../log/jetstream/jetstream-log.js';
import { nameToken, type JetStreamSettings } from '../log/jetstream/settings.js';
import { countLetter, type ClaimedLetter, type DeadLetter, type DeadLetterFilter, type DeadLetters, type NewDeadLetter } from './dead-letters.js';

const decoder = new TextDecoder();
/** Letters read per page while listing. */
const PAGE = 256;
/** How often the count of held letters is refreshed for metrics. */
const SUMMARY_REFRESH_MS = 5_000;

function letterId(seq: number): string {
  return `dl-${seq}`;
}

function seqOf(id: string): number | undefined {
  const match = /^dl-(\d+)$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

export class DeadLetterStream implements DeadLetters {
  readonly totals = new Map<string, number>();
  /** Letters held, as last read (metrics read it synchronously). */
  held = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: JetStreamLog,
    private readonly settings: JetStreamSettings,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.summary().catch(() => undefined), SUMMARY_REFRESH_MS).unref();
  }

  async add(letter: NewDeadLetter): Promise<DeadLetter> {
    const { js } = this.log.clients;
    const ack = await js.publish(`${this.settings.deadLetterSubjectPrefix}.${nameToken(letter.target)}`, JSON.stringify(letter));
    countLetter(this.totals, letter);
    return { ...letter, id: letterId(ack.seq) };
  }

  async list(filter: DeadLetterFilter, limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    const ids = filter.ids ? new Set(filter.ids.map(seqOf).filter((seq): seq is number => seq !== undefined)) : undefined;
    if (ids && ids.size === 0) return letters;
    const { jsm } = this.log.clients;
    const subject = filter.target ? `${this.settings.deadLetterSubjectPrefix}.${nameToken(filter.target)}` : undefined;
    let seq = ids ? Math.min(...ids) : 1;
    const last = ids ? Math.max(...ids) : Number.MAX_SAFE_INTEGER;
    while (letters.length < limit && seq <= last) {
      let read = 0;
      try {
        const batch = await jsm.direct.getBatch(this.settings.deadLetterStream, {
          seq,
          batch: PAGE,
          ...(subject ? { next_by_subj: subject } : {}),
        });
        for await (const message of batch) {
          read++;
          seq = message.seq + 1;
          if (ids && !ids.has(message.seq)) continue;
          const letter = this.decode(message.seq, message.data);
          if (letter && (!filter.target || letter.target === filter.target)) letters.push(letter);
          if (letters.length >= limit) break;
        }
      } catch (error) {
        if (!isNoMessage(error)) throw error;
      }
      if (read === 0) break;
    }
    return letters;
  }

  async claim(filter: DeadLetterFilter, limit: number): Promise<ClaimedLetter[]> {
    const { jsm } = this.log.clients;
    const letters = await this.list(filter, limit);
    return letters.map((letter) => ({
      letter,
      remove: () => {
        jsm.streams.deleteMessage(this.settings.deadLetterStream, seqOf(letter.id)!, false).catch((error: Error) => {
          // Already gone (redriven from another replica, or aged out): nothing to undo.
          if (!/no message found|not found/i.test(error.message))
            this.logger.warn({ id: letter.id, error: error.message }, 'cannot remove a redriven dead letter');
        });
      },
      // Left where it is: it was never taken out.
      unclaim() {},
    }));
  }

  /** The stream drops its oldest letters past its limit (maxEntries) without counting them: evicted is unknown. */
  async summary(): Promise<{ held: number; evicted: number | undefined }> {
    const { jsm } = this.log.clients;
    const info = await jsm.streams.info(this.settings.deadLetterStream);
    this.held = info.state.messages;
    return { held: this.held, evicted: undefined };
  }

  close(): void {
    clearInterval(this.timer);
  }

  private decode(seq: number, data: Uint8Array): DeadLetter | undefined {
    try {
      return { ...(JSON.parse(decoder.decode(data)) as NewDeadLetter), id: letterId(seq) };
    } catch {
      this.logger.warn({ seq, stream: this.settings.deadLetterStream }, 'a message in the dead-letter stream is not a dead letter; skipped');
      return undefined;
    }
  }
}
