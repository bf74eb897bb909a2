import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../../gateway/forwarding/circuit-breaker.js';
import { RecentIds } from '../../../../gateway/log/recent-ids.js';
import { backoffMs, classifyAttempt, compileRetryOn, parseRetryAfter, type AttemptAnswer } from '../../../../gateway/forwarding/retry-policy.js';

const http = (status: number, retryAfterMs?: number): AttemptAnswer => ({ protocol: 'http', status, error: `HTTP ${status}`, retryAfterMs });
const grpc = (status: string): AttemptAnswer => ({ protocol: 'grpc', status, error: `gRPC ${status}` });
const outcomes = (answers: AttemptAnswer[], retryOn?: Parameters<typeof compileRetryOn>[0]) =>
  answers.map((a) => classifyAttempt(a, compileRetryOn(retryOn)).outcome);

describe('retry policy', () => {
  it('by default retries what it always did: no answer, 5xx, 404, 408, 409, 429, and transient gRPC statuses', () => {
    expect(outcomes([500, 502, 503, 504, 404, 408, 409, 429].map((s) => http(s)))).toEqual(Array(8).fill('retry'));
    expect(outcomes([400, 401, 403, 413, 415, 422].map((s) => http(s)))).toEqual(Array(6).fill('failed'));
    expect(outcomes([200, 202, 204].map((s) => http(s)))).toEqual(Array(3).fill('delivered'));
    expect(
      outcomes(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'ABORTED', 'INTERNAL', 'UNKNOWN', 'CANCELLED', 'NOT_FOUND'].map(grpc)),
    ).toEqual(Array(8).fill('retry'));
    expect(outcomes(['INVALID_ARGUMENT', 'PERMISSION_DENIED', 'UNAUTHENTICATED', 'UNIMPLEMENTED', 'FAILED_PRECONDITION'].map(grpc))).toEqual(
      Array(5).fill('failed'),
    );
    expect(outcomes([grpc('OK'), grpc('ALREADY_EXISTS')])).toEqual(['delivered', 'delivered']);
    expect(
      outcomes([
        { protocol: 'none', status: 'ECONNREFUSED', error: 'refused' },
        { protocol: 'none', status: 'timeout', error: 'late' },
      ]),
    ).toEqual(['retry', 'retry']);
  });

  it('retries exactly the statuses and classes a retryOn list names, keeping the raw status', () => {
    const rules = compileRetryOn([400, '5xx']);
    expect(classifyAttempt(http(400), rules)).toEqual({ outcome: 'retry', status: '400', error: 'HTTP 400' });
    expect(classifyAttempt(http(503, 2000), rules)).toEqual({ outcome: 'retry', status: '503', error: 'HTTP 503', retryAfterMs: 2000 });
    expect(classifyAttempt(http(429), rules)).toEqual({ outcome: 'failed', status: '429', error: 'HTTP 429' }); // not named any more
    expect(classifyAttempt(http(404), rules).outcome).toBe('failed');
    expect(outcomes([http(401), http(403), http(499)], ['4xx'])).toEqual(['retry', 'retry', 'retry']);
    expect(outcomes([http(500)], ['4xx'])).toEqual(['failed']);
  });

  it('still retries no answer at all, whatever the list says (for gRPC: UNAVAILABLE and DEADLINE_EXCEEDED)', () => {
    const rules = compileRetryOn([400, 'RESOURCE_EXHAUSTED']);
    expect(classifyAttempt({ protocol: 'none', status: 'ECONNRESET', error: 'reset' }, rules)).toEqual({
      outcome: 'retry',
      status: 'ECONNRESET',
      error: 'reset',
    });
    expect(
      outcomes([grpc('UNAVAILABLE'), grpc('DEADLINE_EXCEEDED'), grpc('RESOURCE_EXHAUSTED'), grpc('INTERNAL')], [400, 'RESOURCE_EXHAUSTED']),
    ).toEqual(['retry', 'retry', 'retry', 'failed']);
  });

  it('keeps the default of the kind (HTTP or gRPC) a list does not name', () => {
    expect(outcomes([grpc('INTERNAL'), grpc('INVALID_ARGUMENT')], [400])).toEqual(['retry', 'failed']);
    expect(outcomes([http(503), http(400)], ['INVALID_ARGUMENT'])).toEqual(['retry', 'failed']);
    expect(outcomes([grpc('INVALID_ARGUMENT')], ['INVALID_ARGUMENT'])).toEqual(['retry']);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const policy = { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1000 };
    expect(backoffMs(policy, 1, undefined, () => 1)).toBe(100);
    expect(backoffMs(policy, 3, undefined, () => 1)).toBe(400);
    expect(backoffMs(policy, 8, undefined, () => 1)).toBe(1000);
    expect(backoffMs(policy, 3, undefined, () => 0.5)).toBe(200);
    expect(backoffMs(policy, 3, undefined, () => 0)).toBe(1);
  });

  it('honours Retry-After when it is longer than the backoff, up to five minutes', () => {
    const policy = { maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 1000 };
    expect(backoffMs(policy, 1, 3000, () => 1)).toBe(3000);
    expect(backoffMs(policy, 1, 50, () => 1)).toBe(100);
    expect(backoffMs(policy, 1, 24 * 3600_000, () => 1)).toBe(300_000);
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('CircuitBreaker', () => {
  it('opens after the threshold, lets one probe through after the cooldown, and closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(breaker.allow()).toBe(true);
      breaker.failed();
    }
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    expect(breaker.waitMs()).toBe(1000);
    now = 1000;
    expect(breaker.allow()).toBe(true); // the probe
    expect(breaker.state).toBe('half_open');
    expect(breaker.allow()).toBe(false); // only one at a time
    breaker.succeeded();
    expect(breaker.state).toBe('closed');
    expect(breaker.allow()).toBe(true);
  });

  it('re-opens when the probe fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker(1, 500, () => now);
    breaker.failed();
    now = 600;
    expect(breaker.allow()).toBe(true);
    breaker.failed();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
  });
});

describe('RecentIds', () => {
  it('remembers ids within the TTL and the size bound', () => {
    let now = 0;
    const ids = new RecentIds(2, 1000, () => now);
    expect(ids.checkAndRemember('a')).toBe(false);
    expect(ids.checkAndRemember('a')).toBe(true);
    expect(ids.checkAndRemember('b')).toBe(false);
    expect(ids.checkAndRemember('c')).toBe(false); // evicts a
    expect(ids.checkAndRemember('a')).toBe(false);
    now = 5000;
    expect(ids.checkAndRemember('c')).toBe(false); // expired
    expect(ids.size).toBeLessThanOrEqual(2);
  });

  it('stays exact past its capacity many times over: newest remembered, oldest evicted', () => {
    const ids = new RecentIds(1000, 60_000, () => 0);
    for (let i = 0; i < 5000; i++) expect(ids.checkAndRemember(`id-${i}`)).toBe(false);
    expect(ids.size).toBe(1000);
    expect(ids.checkAndRemember('id-4999')).toBe(true);
    expect(ids.checkAndRemember('id-4000')).toBe(true);
    expect(ids.checkAndRemember('id-3999')).toBe(false); // evicted, so new again
  });

  it('has() answers without remembering, and nothing is remembered at size 0', () => {
    const ids = new RecentIds(10, 1000);
    expect(ids.has('x')).toBe(false);
    expect(ids.checkAndRemember('x')).toBe(false);
    expect(ids.has('x')).toBe(true);
    const none = new RecentIds(0, 1000);
    none.checkAndRemember('y');
    expect(none.checkAndRemember('y')).toBe(false);
  });
});
