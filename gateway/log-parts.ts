// The event log the config asks for, with the stores that live beside it: dead letters and named
// subscribers' resume positions. The JetStream client is loaded only when the config uses it.
import type { GatewayConfig } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { MemoryDeadLetters, type DeadLetters } from './forwarding/dead-letters.js';
import type { EventLog } from './log/event-log.js';
import { MemoryLog } from './log/memory-log.js';
import { MemoryCursorStore, type CursorStore } from './subscribers/resume-cursors.js';

export interface LogParts {
  log: EventLog;
  deadLetters: DeadLetters;
  cursors: CursorStore;
  /** Dead letters held, as last known (metrics read it synchronously). */
  deadLettersHeld(): number;
  /** Stops timers the stores run (after the log stopped). */
  close(): void;
}

export async function createEventLog(config: GatewayConfig, logger: Logger, instance: string): Promise<LogParts> {
  if (config.bus.type === 'memory') {
    const log = new MemoryLog({
      bufferSize: config.limits.bufferSize,
      history: { size: config.history.size, retentionMs: config.history.retention },
      dedupe: { size: config.forwarding.dedupe.size, ttlMs: config.forwarding.dedupe.ttl },
    });
    const deadLetters = new MemoryDeadLetters(config.forwarding.deadLetter.maxEntries);
    const expiry = setInterval(() => log.expire(), 1000).unref();
    return {
      log,
      deadLetters,
      cursors: new MemoryCursorStore(),
      deadLettersHeld: () => deadLetters.size,
      close: () => clearInterval(expiry),
    };
  }
  const [{ JetStreamLog }, { jetStreamSettings }, { DeadLetterStream }, { KvCursorStore }] = await Promise.all([
    import('./log/jetstream/jetstream-log.js'),
    import('./log/jetstream/settings.js'),
    import('./forwarding/dead-letter-stream.js'),
    import('./subscribers/kv-cursor-store.js'),
  ]);
  const settings = jetStreamSettings(config);
  const componentLogger = logger.child({ component: 'jetstream' });
  const log = new JetStreamLog({
    settings,
    maxPending: config.limits.bufferSize,
    maxEventSize: config.limits.maxEventSize,
    deadLetterMaxEntries: config.forwarding.deadLetter.maxEntries,
    instance,
    logger: componentLogger,
  });
  const deadLetters = new DeadLetterStream(log, settings, componentLogger);
  return {
    log,
    deadLetters,
    cursors: new KvCursorStore(log, settings, componentLogger),
    deadLettersHeld: () => deadLetters.held,
    close: () => deadLetters.close(),
  };
}
