import { JetStreamApiError } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { isTransient } from '../../../../../gateway/log/jetstream/errors.js';
import { patiently } from '../../../../../gateway/log/jetstream/start-patience.js';
import { ConfigError } from '../../../../../src/config/index.js';
import { createLogger } from '../../../../../src/observability/logger.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const quick = { totalMs: 200, firstWaitMs: 5, maxWaitMs: 20 };
const apiError = (status: number, description: string) => new JetStreamApiError({ code: status, err_code: 10008, description });

/** A step that throws each of `errors` in turn, then answers. */
function failingThen<T>(errors: Error[], answer: T) {
  let calls = 0;
  const run = async () => {
    calls++;
    const error = errors.shift();
    if (error) throw error;
    return answer;
  };
  return { run, calls: () => calls };
}

describe('start-up patience with JetStream', () => {
  it('tells transient answers (timeouts, no responders, 5xx) from the rest', () => {
    expect(isTransient(new TimeoutError())).toBe(true);
    expect(isTransient(new NoRespondersError('$JS.API.INFO'))).toBe(true);
    expect(isTransient(new RequestError('no responders', { cause: new NoRespondersError('$JS.API.INFO') }))).toBe(true);
    expect(isTransient(apiError(503, 'JetStream system temporarily unavailable'))).toBe(true);
    expect(isTransient(apiError(400, 'subjects overlap with an existing stream'))).toBe(false);
    expect(isTransient(new ConfigError('bus.jetstream.stream.replicas', 'needs 3 servers'))).toBe(false);
    expect(isTransient(new Error('anything else'))).toBe(false);
  });

  it('retries a step through transient failures and returns its answer', async () => {
    const step = failingThen([new TimeoutError(), apiError(503, 'JetStream system temporarily unavailable')], 'ready');
    await expect(patiently('live tail', step.run, logger, quick)).resolves.toBe('ready');
    expect(step.calls()).toBe(3);
  });

  it('fails at once on a configuration error', async () => {
    const step = failingThen([new ConfigError('bus.jetstream.stream.replicas', 'needs 3 servers')], 'never');
    await expect(patiently('event stream', step.run, logger, quick)).rejects.toThrow(/needs 3 servers/);
    expect(step.calls()).toBe(1);
  });

  it('gives up with the last error once its patience runs out', async () => {
    const errors = Array.from({ length: 100 }, () => new TimeoutError());
    const step = failingThen(errors, 'never');
    const started = Date.now();
    await expect(patiently('stream info', step.run, logger, quick)).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(quick.totalMs + 100);
    expect(step.calls()).toBeGreaterThan(2);
  });
});
