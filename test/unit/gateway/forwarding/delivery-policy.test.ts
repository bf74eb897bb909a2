import { describe, expect, it } from 'vitest';
import { compilePolicy, deliveryDeadlineMs, stricter, type DeliveryPolicy } from '../../../../gateway/forwarding/delivery-policy.js';
import { classifyAttempt } from '../../../../gateway/forwarding/retry-policy.js';

const policy = (timeoutMs: number, retry: Partial<DeliveryPolicy['retry']>): DeliveryPolicy => ({
  timeoutMs,
  retry: { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 30_000, ...retry },
});

describe('delivery policy', () => {
  it('the stricter of several asks more of delivery in every part: attempts, timeout, backoff, and every answer either retries', () => {
    const peers = policy(30_000, { maxAttempts: 2, initialBackoffMs: 50, maxBackoffMs: 1000, retryOn: ['5xx', 429] });
    const route = policy(2_000, { maxAttempts: 10, initialBackoffMs: 200, maxBackoffMs: 500, retryOn: [400] });
    const combined = stricter([peers, route]);
    expect(combined).toMatchObject({ timeoutMs: 30_000, retry: { maxAttempts: 10, initialBackoffMs: 200, maxBackoffMs: 1000 } });
    const rules = compilePolicy(combined).rules;
    // 5xx and 429 from one, 400 from the other; gRPC statuses from the default both left implicit.
    expect([500, 429, 400, 404].map((status) => classifyAttempt({ protocol: 'http', status }, rules).outcome)).toEqual([
      'retry',
      'retry',
      'retry',
      'failed',
    ]);
    expect(classifyAttempt({ protocol: 'grpc', status: 'INTERNAL' }, rules).outcome).toBe('retry');
  });

  it('keeps an implicit default in the union: a list naming only gRPC statuses still retries the default HTTP ones', () => {
    const rules = compilePolicy(stricter([policy(1, { retryOn: ['INVALID_ARGUMENT'] }), policy(1, { retryOn: [400] })])).rules;
    expect(classifyAttempt({ protocol: 'http', status: 503 }, rules).outcome).toBe('retry');
    expect(classifyAttempt({ protocol: 'grpc', status: 'INVALID_ARGUMENT' }, rules).outcome).toBe('retry');
  });

  it('one policy is its own stricter', () => {
    const one = policy(1000, { retryOn: [400] });
    expect(stricter([one])).toBe(one);
  });

  it('bounds the time to a dead letter: every attempt timing out, every wait the longest backoff', () => {
    expect(deliveryDeadlineMs(policy(30_000, {}))).toBe(5 * 30_000 + 4 * 30_000);
    expect(deliveryDeadlineMs(policy(200, { maxAttempts: 20, maxBackoffMs: 100 }))).toBe(5900);
    expect(deliveryDeadlineMs(policy(200, { maxAttempts: 1 }))).toBe(200);
  });
});
