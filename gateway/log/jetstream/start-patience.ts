// Start-up against a JetStream that is not ready yet: a cluster that has just formed answers
// its first API requests late or not at all while it elects leaders. Each start-up step is
// retried on such transient answers, with backoff, for a bounded time; anything else (a
// ConfigError, a refusal) fails at once, and so does the step once the patience runs out.
import type { Logger } from '../../../src/observability/logger.js';
import { isTransient } from './errors.js';

export interface Patience {
  /** Total time a step may keep failing transiently. */
  totalMs: number;
  firstWaitMs: number;
  maxWaitMs: number;
}

export const START_PATIENCE: Patience = { totalMs: 60_000, firstWaitMs: 250, maxWaitMs: 4_000 };

export async function patiently<T>(step: string, run: () => Promise<T>, logger: Logger, patience: Patience = START_PATIENCE): Promise<T> {
  const deadline = Date.now() + patience.totalMs;
  for (let wait = patience.firstWaitMs; ; wait = Math.min(wait * 2, patience.maxWaitMs)) {
    try {
      return await run();
    } catch (error) {
      if (!isTransient(error) || Date.now() + wait > deadline) throw error;
      logger.warn({ step, error: (error as Error).message, retryInMs: wait }, 'JetStream not ready yet; retrying');
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
