import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../../gateway/forwarding/dead-letters.js';
import { compilePolicy, type CompiledPolicy } from '../../../../gateway/forwarding/delivery-policy.js';
import { Outgoing } from '../../../../gateway/forwarding/outgoing.js';
import type { AttemptAnswer } from '../../../../gateway/forwarding/retry-policy.js';
import type { Sender } from '../../../../gateway/forwarding/sender.js';
import { TargetDelivery } from '../../../../gateway/forwarding/target-delivery.js';
import type { Ticket } from '../../../../gateway/log/event-log.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string, data = '{}'): McpEvent => ({ event_id: id, event_type: 't', source: 's', timestamp: 1, data, metadata: {} });
const out = (id: string, data?: string) => new Outgoing(event(id, data));

const ok: AttemptAnswer = { protocol: 'http', status: 200 };
const http = (status: number, retryAfterMs?: number): AttemptAnswer => ({ protocol: 'http', status, error: `HTTP ${status}`, retryAfterMs });
const refused: AttemptAnswer = { protocol: 'none', status: 'ECONNREFUSED', error: 'connect ECONNREFUSED' };
/** Lets the current turn end: a target sends what a turn queued once it is over. */
const turn = () => new Promise<void>((resolve) => queueMicrotask(resolve));

/** A sender that answers each event from a script by event id (then 200), and records every request. */
function scriptedSender(script: Record<string, AttemptAnswer[]>, maxEvents = 1) {
  const requests: string[][] = [];
  const sender: Sender & { closed: boolean; requests: string[][] } = {
    mode: maxEvents > 1 ? 'batch' : 'single',
    maxEvents,
    closed: false,
    requests,
    async send(events) {
      requests.push(events.map((o) => o.event.event_id));
      await new Promise((resolve) => setImmediate(resolve));
      return events.map((o) => script[o.event.event_id]?.shift() ?? ok);
    },
    close() {
      this.closed = true;
    },
  };
  return sender;
}

const policy = (overrides: Partial<CompiledPolicy['retry']> = {}, timeoutMs = 1000) =>
  compilePolicy({ timeoutMs, retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5, ...overrides } });

function delivery(sender: Sender, overrides: Partial<ConstructorParameters<typeof TargetDelivery>[0]> = {}) {
  const letters: Omit<DeadLetter, 'id'>[] = [];
  const target = new TargetDelivery({
    target: { id: 'peer-1', url: 'http://peer-1', format: 'mcp', batch: true },
    sender,
    concurrency: 2,
    maxBatchBytes: 1024 * 1024,
    capacity: 10,
    breaker: { failureThreshold: 100, cooldownMs: 10 },
    deadLetter: (letter) => {
      letters.push(letter);
    },
    ...overrides,
  });
  return { target, letters };
}

const invariant = (t: TargetDelivery) => expect(t.accepted).toBe(t.delivered + t.deadLettered + t.returned + t.inFlight);

describe('TargetDelivery', () => {
  it('retries a transient failure and delivers with the same event', async () => {
    const sender = scriptedSender({ a: [http(503), http(429)] });
    const { target, letters } = delivery(sender);
    target.enqueue(out('a'), policy(), 'peers');
    invariant(target);
    expect(await target.idle(1000)).toBe(true);
    expect(sender.requests).toEqual([['a'], ['a'], ['a']]);
    expect([target.delivered, target.deadLettered, letters.length]).toEqual([1, 0, 0]);
    invariant(target);
  });

  it('dead-letters a refused event at once, with the status and error', async () => {
    const { target, letters } = delivery(scriptedSender({ bad: [{ protocol: 'http', status: 400, error: 'HTTP 400: nope' }] }));
    target.enqueue(out('bad'), policy(), 'peers');
    await target.idle(1000);
    expect(letters).toEqual([
      expect.objectContaining({ reason: 'rejected', attempts: 1, lastStatus: '400', lastError: 'HTTP 400: nope', target: 'peer-1', route: 'peers' }),
    ]);
    invariant(target);
  });

  it("dead-letters after the last attempt of the event's own policy", async () => {
    const { target, letters } = delivery(scriptedSender({ x: Array(9).fill(http(503)), y: Array(9).fill(http(503)) }));
    target.enqueue(out('x'), policy({ maxAttempts: 2 }), 'route/a');
    target.enqueue(out('y'), policy({ maxAttempts: 4 }), 'route/b');
    await target.idle(1000);
    expect(letters.map((l) => [l.event.event_id, l.reason, l.attempts, l.lastStatus, l.route])).toEqual([
      ['x', 'attempts_exhausted', 2, '503', 'route/a'],
      ['y', 'attempts_exhausted', 4, '503', 'route/b'],
    ]);
    invariant(target);
  });

  it('judges each event of a batch on its own: only the failed ones are retried or dead-lettered', async () => {
    const sender = scriptedSender({ b: [http(429)], c: [http(400)] }, 10);
    const { target, letters } = delivery(sender, { concurrency: 1 });
    for (const id of ['a', 'b', 'c', 'd']) target.enqueue(out(id), policy(), 'peers');
    await target.idle(1000);
    // One request takes what the turn queued; b alone is sent again.
    expect(sender.requests).toEqual([['a', 'b', 'c', 'd'], ['b']]);
    expect(letters.map((l) => [l.event.event_id, l.reason])).toEqual([['c', 'rejected']]);
    expect(target.delivered).toBe(3);
    invariant(target);
  });

  it("sizes batches by what is queued, the sender's limit and bytes, never waiting to fill one", async () => {
    const sender = scriptedSender({}, 3);
    const big = 'x'.repeat(300);
    const { target } = delivery(sender, { concurrency: 1, capacity: 100, maxBatchBytes: 1600 });
    target.enqueue(out('first'), policy(), 'peers');
    for (const id of ['a', 'b', 'c', 'd']) target.enqueue(out(id), policy(), 'peers');
    for (const id of ['big1', 'big2', 'big3']) target.enqueue(out(id, JSON.stringify(big)), policy(), 'peers');
    await target.idle(1000);
    // Three events at most, then 1,600 bytes at most: big1 and big2 (~430 bytes each) fit beside d, big3 does not.
    expect(sender.requests).toEqual([
      ['first', 'a', 'b'],
      ['c', 'd', 'big1'],
      ['big2', 'big3'],
    ]);
  });

  it('sends what one turn queued in one request, right away on the first two requests out; beyond them, only full batches', async () => {
    const answers: (() => void)[] = [];
    const requests: string[][] = [];
    const sender: Sender = {
      mode: 'batch',
      maxEvents: 3,
      send: (events) =>
        new Promise((resolve) => {
          requests.push(events.map((o) => o.event.event_id));
          answers.push(() => resolve(events.map(() => ok)));
        }),
      close() {},
    };
    const { target } = delivery(sender, { concurrency: 8, capacity: 100 });
    target.enqueue(out('a'), policy(), 'peers');
    target.enqueue(out('b'), policy(), 'peers');
    // Nothing goes before the turn that queued them is over.
    expect(requests).toEqual([]);
    await turn();
    expect(requests).toEqual([['a', 'b']]);
    target.enqueue(out('c'), policy(), 'peers');
    await turn();
    expect(requests).toEqual([['a', 'b'], ['c']]);
    // Two out: d and e wait for a batch to fill, or for fewer than two requests to be out.
    target.enqueue(out('d'), policy(), 'peers');
    target.enqueue(out('e'), policy(), 'peers');
    await turn();
    expect(requests).toHaveLength(2);
    target.enqueue(out('f'), policy(), 'peers');
    await turn();
    expect(requests.at(-1)).toEqual(['d', 'e', 'f']);
    target.enqueue(out('g'), policy(), 'peers');
    await turn();
    expect(requests).toHaveLength(3);
    // Fewer than two out again: g goes as it is.
    answers.shift()!();
    answers.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests.at(-1)).toEqual(['g']);
    for (const answer of answers.splice(0)) answer();
    expect(await target.idle(1000)).toBe(true);
    expect(target.delivered).toBe(7);
  });

  it('sends one event larger than the byte bound alone', async () => {
    const sender = scriptedSender({}, 10);
    const { target } = delivery(sender, { concurrency: 1, maxBatchBytes: 1024 });
    target.enqueue(out('small'), policy(), 'peers');
    target.enqueue(out('huge', JSON.stringify('y'.repeat(5000))), policy(), 'peers');
    target.enqueue(out('after'), policy(), 'peers');
    await target.idle(1000);
    expect(sender.requests).toEqual([['small'], ['huge'], ['after']]);
  });

  it('uses the longest timeout of the events in a request', async () => {
    const timeouts: number[] = [];
    const sender: Sender = {
      mode: 'batch',
      maxEvents: 10,
      send: async (events, timeoutMs) => (timeouts.push(timeoutMs), events.map(() => ok)),
      close() {},
    };
    const { target } = delivery(sender, { concurrency: 1 });
    target.enqueue(out('a'), policy({}, 100), 'peers');
    await turn();
    target.enqueue(out('b'), policy({}, 700), 'peers');
    target.enqueue(out('c'), policy({}, 300), 'peers');
    await target.idle(1000);
    expect(timeouts).toEqual([100, 700]);
  });

  it('dead-letters overflow beyond its capacity as queue_full, never holding more', async () => {
    const hang: Sender = { mode: 'single', maxEvents: 1, send: () => new Promise(() => {}), close() {} };
    const { target, letters } = delivery(hang, { capacity: 3, concurrency: 1 });
    for (let i = 0; i < 5; i++) target.enqueue(out(`e${i}`), policy(), 'peers');
    expect(target.inFlight).toBe(3);
    expect(letters.map((l) => [l.event.event_id, l.reason])).toEqual([
      ['e3', 'queue_full'],
      ['e4', 'queue_full'],
    ]);
    invariant(target);
  });

  it('keeps at most `concurrency` requests out at once', async () => {
    let out_ = 0;
    let most = 0;
    const sender: Sender = {
      mode: 'single',
      maxEvents: 1,
      async send(events) {
        most = Math.max(most, ++out_);
        await new Promise((resolve) => setTimeout(resolve, 2));
        out_--;
        return events.map(() => ok);
      },
      close() {},
    };
    const { target } = delivery(sender, { concurrency: 3, capacity: 100 });
    for (let i = 0; i < 30; i++) target.enqueue(out(`c${i}`), policy(), 'peers');
    await target.idle(2000);
    expect(most).toBe(3);
    expect(target.delivered).toBe(30);
  });

  it("while the circuit is open sends nothing but probes, and dead-letters each event at its policy's deadline (expired)", async () => {
    const sender = scriptedSender({ a: Array(20).fill(refused), b: Array(20).fill(refused), c: Array(20).fill(refused) });
    const { target, letters } = delivery(sender, { breaker: { failureThreshold: 2, cooldownMs: 60_000 }, concurrency: 1, expiryCheckMs: 5 });
    const started = Date.now();
    // The deadline: 20 attempts of up to 10 ms, up to 5 ms apart = 295 ms.
    for (const id of ['a', 'b', 'c']) target.enqueue(out(id), policy({ maxAttempts: 20, initialBackoffMs: 1, maxBackoffMs: 5 }, 10), 'peers');
    expect(await target.idle(2000)).toBe(true);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1000);
    expect(target.breaker.state).toBe('open');
    // Two requests opened the circuit; nothing was sent after that (the cooldown is long).
    expect(sender.requests).toEqual([['a'], ['b']]);
    expect(letters.map((l) => [l.event.event_id, l.reason, l.attempts, l.lastStatus]).sort()).toEqual([
      ['a', 'expired', 1, 'ECONNREFUSED'],
      ['b', 'expired', 1, 'ECONNREFUSED'],
      ['c', 'expired', 0, 'circuit_open'],
    ]);
    expect(letters.find((l) => l.event.event_id === 'a')!.lastError).toMatch(
      /not delivered within 295 ms.*circuit is open after 2 failures.*last error: connect ECONNREFUSED/,
    );
    invariant(target);
  });

  it('dead-letters an event still queued behind a slow target at its deadline', async () => {
    const hang: Sender = { mode: 'single', maxEvents: 1, send: () => new Promise(() => {}), close() {} };
    const { target, letters } = delivery(hang, { concurrency: 1, expiryCheckMs: 5 });
    target.enqueue(out('stuck'), policy({ maxAttempts: 1 }, 50), 'peers');
    target.enqueue(out('queued'), policy({ maxAttempts: 1 }, 50), 'peers');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(letters.map((l) => [l.event.event_id, l.reason, l.lastStatus])).toEqual([['queued', 'expired', 'not_attempted']]);
    expect(target.inFlight).toBe(1);
  });

  it('probes a target whose circuit is open once the cooldown has passed, and closes it on success', async () => {
    const sender = scriptedSender({ a: [refused, refused] });
    const { target } = delivery(sender, { breaker: { failureThreshold: 2, cooldownMs: 30 }, concurrency: 1 });
    target.enqueue(out('a'), policy({ maxAttempts: 20, initialBackoffMs: 5, maxBackoffMs: 10 }), 'peers');
    expect(await target.idle(2000)).toBe(true);
    expect(target.delivered).toBe(1);
    expect(sender.requests).toEqual([['a'], ['a'], ['a']]);
    expect(target.breaker.state).toBe('closed');
  });

  it('counts a request answered per event as the target being up, even when it refused some', async () => {
    const sender = scriptedSender({ a: [http(400)], b: [http(400)] }, 10);
    const { target } = delivery(sender, { breaker: { failureThreshold: 1, cooldownMs: 60_000 }, concurrency: 1 });
    target.enqueue(out('x'), policy(), 'peers');
    target.enqueue(out('a'), policy(), 'peers');
    target.enqueue(out('b'), policy(), 'peers');
    await target.idle(1000);
    expect(target.breaker.state).toBe('closed');
    expect(target.lastError).toBe('HTTP 400');
  });

  it('on close dead-letters what it holds as shutdown, and closes the sender', async () => {
    const hang = {
      mode: 'single' as const,
      maxEvents: 1,
      closed: false,
      send: () => new Promise<AttemptAnswer[]>(() => {}),
      close() {
        this.closed = true;
      },
    };
    const { target, letters } = delivery(hang, { concurrency: 1 });
    target.enqueue(out('a'), policy(), 'peers');
    await turn();
    ['b', 'c'].forEach((id) => target.enqueue(out(id), policy(), 'peers'));
    target.close();
    expect(letters.map((l) => [l.event.event_id, l.reason])).toEqual([
      ['b', 'shutdown'],
      ['c', 'shutdown'],
    ]);
    expect(hang.closed).toBe(true);
    target.enqueue(out('late'), policy(), 'peers');
    expect(letters.at(-1)).toMatchObject({ reason: 'shutdown', event: { event_id: 'late' } });
  });

  it('returns ticketed events to the shared log on shutdown, and settles them only when they leave', async () => {
    const settled: string[] = [];
    const givenBack: string[] = [];
    const ticket = (id: string): Ticket => ({
      backlog: 0,
      redeliveries: 0,
      returnable: true,
      settle: () => settled.push(id),
      hold() {},
      giveBack: () => givenBack.push(id),
    });
    const hang: Sender = { mode: 'single', maxEvents: 1, send: () => new Promise(() => {}), close() {} };
    const { target } = delivery(hang, { concurrency: 1 });
    target.enqueue(out('a'), policy(), 'peers', ticket('a'));
    await turn();
    target.enqueue(out('b'), policy(), 'peers', ticket('b'));
    target.close('shutdown');
    expect(givenBack).toEqual(['b']);
    expect(settled).toEqual([]);
    expect(target.returned).toBe(1);
  });

  it('takes a new sender on reload without losing what it holds; the old one closes once its requests are answered', async () => {
    let release: (() => void) | undefined;
    const first: Sender & { closed: boolean } = {
      mode: 'single',
      maxEvents: 1,
      closed: false,
      send: (events) => new Promise((resolve) => (release = () => resolve(events.map(() => ok)))),
      close() {
        this.closed = true;
      },
    };
    const second = scriptedSender({}, 10);
    const { target } = delivery(first, { concurrency: 1 });
    target.enqueue(out('a'), policy(), 'peers');
    await turn();
    for (const id of ['b', 'c']) target.enqueue(out(id), policy(), 'peers');
    target.reconfigure(
      { target: target.target, concurrency: 2, maxBatchBytes: 1024, capacity: 10, breaker: { failureThreshold: 100, cooldownMs: 10 } },
      second,
    );
    expect(first.closed).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    release!();
    expect(await target.idle(1000)).toBe(true);
    expect(first.closed).toBe(true);
    expect(second.requests).toEqual([['b', 'c']]);
    expect(target.delivered).toBe(3);
  });

  it('is short of room when what it holds and what is on its way leave no room, or a batch is larger than its queue; a target whose circuit is open never is', async () => {
    const waiting: (() => void)[] = [];
    const slow: Sender = {
      mode: 'batch',
      maxEvents: 100,
      send: (events) => new Promise((resolve) => waiting.push(() => resolve(events.map(() => ok)))),
      close() {},
    };
    const answerAll = async () => {
      while (target.inFlight > 0) {
        waiting.splice(0).forEach((answer) => answer());
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const { target } = delivery(slow, { capacity: 10, breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    // A batch larger than the whole queue never fits, and is told so.
    expect(target.shortOfRoom(0, 10)).toBeUndefined();
    expect(target.shortOfRoom(0, 11)).toBe(
      '11 events at once are more than forwarding to peer-1 may hold (FORWARD_QUEUE_SIZE 10); send smaller batches',
    );
    for (const id of ['a', 'b', 'c', 'd']) target.enqueue(out(id), policy(), 'peers');
    expect(target.shortOfRoom(0, 6)).toBeUndefined();
    expect(target.shortOfRoom(1, 6)).toBe('forwarding to peer-1 is behind: it holds 5 events of the 10 it may (FORWARD_QUEUE_SIZE); retry later');
    expect(target.shortOfRoom(0, 7)).toMatch(/holds 4 events/);
    await answerAll();
    expect(target.shortOfRoom(0, 10)).toBeUndefined();
    // A failed request opens the circuit (threshold 1): events wait out their deadline instead of holding ingest up.
    const failing = delivery(scriptedSender({ x: [refused], y: [refused] }), {
      capacity: 2,
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
    }).target;
    for (const id of ['x', 'y']) failing.enqueue(out(id), policy(), 'peers');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(failing.breaker.state).toBe('open');
    expect(failing.shortOfRoom(0, 5)).toBeUndefined();
    failing.close();
  });
});
