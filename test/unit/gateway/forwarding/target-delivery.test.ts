import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../../gateway/forwarding/dead-letters.js';
import type { Sender, SendResult } from '../../../../gateway/forwarding/sender.js';
import { TargetDelivery } from '../../../../gateway/forwarding/target-delivery.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string): McpEvent => ({ event_id: id, event_type: 't', source: 's', timestamp: 1, data: '{}', metadata: {} });

/** A sender that answers from a script per event id, then 'delivered'. */
function scriptedSender(script: Record<string, SendResult[]>, log: string[] = []): Sender & { closed: boolean } {
  return {
    closed: false,
    async send(e) {
      log.push(e.event_id);
      await new Promise((resolve) => setImmediate(resolve));
      return script[e.event_id]?.shift() ?? { outcome: 'delivered', status: '200' };
    },
    close() {
      this.closed = true;
    },
  };
}

function delivery(sender: Sender, overrides: Partial<ConstructorParameters<typeof TargetDelivery>[0]> = {}) {
  const letters: Omit<DeadLetter, 'id'>[] = [];
  const target = new TargetDelivery({
    route: 'peers',
    target: { id: 'peer-1', url: 'http://peer-1', format: 'mcp' },
    sender,
    retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 },
    timeoutMs: 1000,
    concurrency: 2,
    capacity: 10,
    breaker: { failureThreshold: 100, cooldownMs: 10 },
    deadLetter: (letter) => {
      letters.push(letter);
    },
    ...overrides,
  });
  return { target, letters };
}

const invariant = (t: TargetDelivery) => expect(t.accepted).toBe(t.delivered + t.deadLettered + t.inFlight);
const retry = (status = '503'): SendResult => ({ outcome: 'retry', status, error: `HTTP ${status}` });

describe('TargetDelivery', () => {
  it('retries a transient failure and delivers with the same event', async () => {
    const log: string[] = [];
    const { target, letters } = delivery(scriptedSender({ a: [retry(), retry('429')] }, log));
    target.enqueue(event('a'));
    invariant(target);
    expect(await target.idle(1000)).toBe(true);
    expect(log).toEqual(['a', 'a', 'a']);
    expect([target.delivered, target.deadLettered, letters.length]).toEqual([1, 0, 0]);
    invariant(target);
  });

  it('dead-letters a refused event at once, with the status and error', async () => {
    const { target, letters } = delivery(scriptedSender({ bad: [{ outcome: 'failed', status: '400', error: 'HTTP 400: nope' }] }));
    target.enqueue(event('bad'));
    await target.idle(1000);
    expect(letters).toEqual([
      expect.objectContaining({ reason: 'rejected', attempts: 1, lastStatus: '400', lastError: 'HTTP 400: nope', target: 'peer-1', route: 'peers' }),
    ]);
    invariant(target);
  });

  it('dead-letters after the last attempt', async () => {
    const { target, letters } = delivery(scriptedSender({ x: [retry(), retry(), retry(), retry()] }));
    target.enqueue(event('x'));
    await target.idle(1000);
    expect(letters).toEqual([expect.objectContaining({ reason: 'attempts_exhausted', attempts: 3, lastStatus: '503' })]);
    invariant(target);
  });

  it('dead-letters overflow beyond its capacity as queue_full, never holding more', async () => {
    const hang: Sender = { send: () => new Promise(() => {}), close() {} };
    const { target, letters } = delivery(hang, { capacity: 3, concurrency: 1 });
    for (let i = 0; i < 5; i++) target.enqueue(event(`e${i}`));
    expect(target.inFlight).toBe(3);
    expect(letters.map((l) => [l.event.event_id, l.reason])).toEqual([
      ['e3', 'queue_full'],
      ['e4', 'queue_full'],
    ]);
    invariant(target);
  });

  it('keeps at most `concurrency` attempts out at once', async () => {
    let out = 0;
    let most = 0;
    const sender: Sender = {
      async send() {
        most = Math.max(most, ++out);
        await new Promise((resolve) => setTimeout(resolve, 2));
        out--;
        return { outcome: 'delivered', status: '200' };
      },
      close() {},
    };
    const { target } = delivery(sender, { concurrency: 3, capacity: 100 });
    for (let i = 0; i < 30; i++) target.enqueue(event(`c${i}`));
    await target.idle(2000);
    expect(most).toBe(3);
    expect(target.delivered).toBe(30);
  });

  it('stops calling a target whose circuit is open, then probes it', async () => {
    const log: string[] = [];
    const failing = scriptedSender({ a: [retry(), retry()], b: [retry()] }, log);
    const { target } = delivery(failing, { breaker: { failureThreshold: 2, cooldownMs: 30 }, concurrency: 1, retry: { maxAttempts: 5, initialBackoffMs: 1, maxBackoffMs: 1 } });
    target.enqueue(event('a'));
    target.enqueue(event('b'));
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(target.breaker.state).toBe('open');
    const callsWhileOpen = log.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log.length).toBe(callsWhileOpen);
    expect(await target.idle(2000)).toBe(true);
    expect(target.delivered).toBe(2);
    expect(target.breaker.state).toBe('closed');
  });

  it('on close dead-letters what it holds as shutdown, and closes the sender', async () => {
    const hang = { closed: false, send: () => new Promise<SendResult>(() => {}), close() { this.closed = true; } };
    const { target, letters } = delivery(hang, { concurrency: 1 });
    ['a', 'b', 'c'].forEach((id) => target.enqueue(event(id)));
    target.close();
    expect(letters.map((l) => [l.event.event_id, l.reason])).toEqual([
      ['b', 'shutdown'],
      ['c', 'shutdown'],
    ]);
    expect(hang.closed).toBe(true);
    target.enqueue(event('late'));
    expect(letters.at(-1)).toMatchObject({ reason: 'shutdown', event: { event_id: 'late' } });
  });
});
