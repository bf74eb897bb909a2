import { describe, expect, it } from 'vitest';
import { batchAnswers, itemAnswer } from '../../../../gateway/forwarding/batch-answers.js';
import { classifyAttempt } from '../../../../gateway/forwarding/retry-policy.js';

describe('batch answers', () => {
  it("reads our gateways' per-event results as the answer each event would have had alone", () => {
    const body = JSON.stringify({
      status: 'partial',
      processed: 6,
      results: [
        { event_id: 'a', status: 'accepted' },
        { event_id: 'b', status: 'duplicate' },
        { event_id: 'c', status: 'rejected', error: 'invalid', field: 'events[2].data', message: 'events[2].data: not JSON' },
        { event_id: 'd', status: 'rejected', error: 'too_large', message: 'too big' },
        { event_id: 'e', status: 'refused', error: 'buffer_full', message: 'full', retry_after: 2 },
        { event_id: 'f', status: 'rejected', error: 'tenant_mismatch', message: 'other tenant' },
      ],
    });
    const answers = batchAnswers(body, 6)!;
    expect(answers.map((a) => (a.protocol === 'http' ? a.status : a.status))).toEqual([200, 200, 400, 413, 429, 403]);
    expect(answers[2]).toMatchObject({ error: 'HTTP 400 (in a batch): rejected: events[2].data: not JSON' });
    expect(answers[4]).toMatchObject({ retryAfterMs: 2000 });
    expect(answers.map((a) => classifyAttempt(a).outcome)).toEqual(['delivered', 'delivered', 'failed', 'failed', 'retry', 'failed']);
  });

  it("reads the Go reference server's results: accepted, or an error (its validation's InvalidArgument is a refusal, anything else is retried)", () => {
    const body = JSON.stringify({
      processed: 3,
      results: [
        { event_id: 'a', status: 'accepted' },
        { event_id: '', status: 'error', error: 'rpc error: code = InvalidArgument desc = event ID cannot be empty' },
        { event_id: 'c', status: 'error', error: 'rpc error: code = Unavailable desc = down' },
      ],
    });
    expect(batchAnswers(body, 3)!.map((a) => classifyAttempt(a).outcome)).toEqual(['delivered', 'failed', 'retry']);
  });

  it('takes "status":"accepted" first as every event taken, without reading each', () => {
    const answers = batchAnswers('{"status":"accepted","processed":3,"results":"not even read"}', 3)!;
    expect(answers.map((a) => classifyAttempt(a).outcome)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('has no per-event answers for a body that is not ours, or whose results do not line up with the request', () => {
    expect(batchAnswers('ok', 2)).toBeUndefined();
    expect(batchAnswers('{"status":200}', 2)).toBeUndefined();
    expect(batchAnswers(JSON.stringify({ results: [{ status: 'accepted' }] }), 2)).toBeUndefined();
  });

  it('retries an item whose status it does not know', () => {
    expect(classifyAttempt(itemAnswer({ status: 'weird' })).outcome).toBe('retry');
    expect(classifyAttempt(itemAnswer({})).outcome).toBe('retry');
  });
});
