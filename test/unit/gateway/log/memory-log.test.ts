import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../../gateway/log/envelope.js';
import type { ReadResult } from '../../../../gateway/log/event-log.js';
import { waitForRoom } from '../../../../gateway/ingest/admission.js';
import { MemoryLog, type MemoryLogOptions } from '../../../../gateway/log/memory-log.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string, timestamp = 1): McpEvent => ({ event_id: id, event_type: 't', source: 's', timestamp, data: '{}', metadata: {} });

function memoryLog(overrides: Partial<MemoryLogOptions> = {}) {
  return new MemoryLog({
    bufferSize: 10,
    history: { size: 100, retentionMs: 60_000 },
    dedupe: { size: 100, ttlMs: 60_000 },
    ...overrides,
  });
}

const ids = (result: ReadResult) => ('entries' in result ? result.entries.map((e) => e.event.event_id) : result);

describe('MemoryLog', () => {
  it('stores, then fans out to every sink in order, asynchronously, with rising positions', async () => {
    const seen: Envelope[][] = [[], []];
    const log = memoryLog();
    for (const list of seen) log.addSink({ dispatch: (e) => list.push(e) });
    const outcomes = await log.append([event('a'), event('b')], 'stream-1');
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);
    expect(seen[0]).toEqual([]);
    await log.drained();
    expect(seen.map((list) => list.map((e) => e.event.event_id))).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
    const [a, b] = seen[0]!;
    expect(b!.position).toBe(a!.position + 1);
    expect(outcomes[0]).toEqual({ status: 'stored', position: a!.position });
    expect([a!.origin, log.livePosition]).toEqual(['stream-1', b!.position]);
    expect(log.state()).toMatchObject({ accepted: 2, dispatched: 2, held: 2, pending: 0 });
  });

  it('starts positions at its start time in microseconds, so a position from an earlier process is older than all it holds', async () => {
    const log = memoryLog({ now: () => 1_000 });
    const [outcome] = await log.append([event('a')]);
    expect(outcome).toEqual({ status: 'stored', position: 1_000_000 });
  });

  it('answers a repeated event_id within the window as a duplicate and stores it once', async () => {
    const log = memoryLog();
    expect((await log.append([event('a'), event('a')])).map((o) => o.status)).toEqual(['stored', 'duplicate']);
  });

  it('refuses as full when the buffer is full, and takes again once it drains', async () => {
    const log = memoryLog({ bufferSize: 2 });
    const outcomes = await log.append([event('a'), event('b'), event('c')]);
    expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored', 'refused']);
    expect(outcomes[2]).toMatchObject({ reason: 'full', retryAfterSeconds: 1 });
    expect(log.hasRoomFor(1)).toBe(false);
    expect(await waitForRoom(log, 1, 1000)).toBe(true);
    // The refused one was not remembered as seen: it can be sent again.
    expect((await log.append([event('c')]))[0]!.status).toBe('stored');
  });

  it('dispatches in batches, yielding to I/O between them', async () => {
    const batches: number[] = [];
    const log = memoryLog({ bufferSize: 100, batchSize: 10, onDispatched: (n) => batches.push(n) });
    await log.append(Array.from({ length: 25 }, (_, i) => event(`e${i}`)));
    await log.drained();
    expect(batches).toEqual([10, 10, 5]);
  });

  it('after close, refuses new events as unavailable but still dispatches what it holds', async () => {
    const seen: string[] = [];
    const log = memoryLog();
    log.addSink({ dispatch: (e) => seen.push(e.event.event_id) });
    await log.append([event('held')]);
    log.close();
    expect(log.accepting).toBe(false);
    expect((await log.append([event('late')]))[0]).toMatchObject({ status: 'refused', reason: 'unavailable' });
    await log.drained();
    expect(seen).toEqual(['held']);
  });

  describe('readers', () => {
    it('read from a position a page at a time, then report the end with the next position', async () => {
      const log = memoryLog();
      const stored = await log.append(['a', 'b', 'c', 'd'].map((id) => event(id)));
      await log.drained();
      const first = (stored[0] as { position: number }).position;
      const reader = log.openReader({ after: first });
      expect(ids(await reader.next(2))).toEqual(['b', 'c']);
      expect(ids(await reader.next(2))).toEqual(['d']);
      expect(await reader.next(2)).toEqual({ entries: [], next: first + 4 });
      await log.append([event('e')]);
      await log.drained();
      expect(ids(await reader.next(2))).toEqual(['e']);
    });

    it('from a time, start at the oldest event held (callers filter on the events own timestamps)', async () => {
      const log = memoryLog();
      await log.append([event('a', 5), event('b', 50)]);
      await log.drained();
      expect(ids(await log.openReader({ fromTime: 10_000_000_000_000 }).next(10))).toEqual(['a', 'b']);
    });

    it('report the positions that are gone when the ring no longer holds the next one', async () => {
      const log = memoryLog({ history: { size: 3, retentionMs: 60_000 } });
      const stored = (await log.append(['a', 'b', 'c', 'd', 'e'].map((id) => event(id)))) as { position: number }[];
      await log.drained();
      const p = stored.map((s) => s.position);
      expect(await log.openReader({ after: p[0]! - 1 }).next(10)).toEqual({ lost: { from: p[0], to: p[1] } });
      expect(ids(await log.openReader({ after: p[1]! }).next(10))).toEqual(['c', 'd', 'e']);
    });

    it('with no history, a reader behind the live end has lost what it missed', async () => {
      const log = memoryLog({ history: { size: 0, retentionMs: 60_000 } });
      const stored = (await log.append([event('a'), event('b')])) as { position: number }[];
      await log.drained();
      expect(await log.openReader({ after: stored[0]!.position - 1 }).next(10)).toEqual({
        lost: { from: stored[0]!.position, to: stored[1]!.position },
      });
      expect(await log.openReader({ after: stored[1]!.position }).next(10)).toEqual({ entries: [], next: stored[1]!.position + 1 });
    });

    it('forget events older than the retention, by arrival time', async () => {
      let now = 0;
      const log = memoryLog({ history: { size: 10, retentionMs: 1000 }, now: () => now });
      await log.append([event('old')]);
      await log.drained();
      now = 800;
      await log.append([event('new')]);
      await log.drained();
      now = 1500;
      expect(ids(await log.openReader({ fromTime: 0 }).next(10))).toEqual(['new']);
      expect(log.state().held).toBe(1);
    });
  });

  it('hands every event to a shared consumer (the only consumer there is), and stops on request', async () => {
    const log = memoryLog();
    const seen: string[] = [];
    const consumer = log.consumeShared(
      'c',
      (e, ticket) => {
        seen.push(e.event.event_id);
        expect(ticket.returnable).toBe(false);
        ticket.settle();
      },
      { maxHeld: 10, description: 'test' },
    );
    await log.append([event('a')]);
    await log.drained();
    await consumer.stop();
    await log.append([event('b')]);
    await log.drained();
    expect(seen).toEqual(['a']);
  });

  it('admits no more than a shared consumer has room for, counting what its buffer already holds for it, and says who is short', async () => {
    const log = memoryLog({ bufferSize: 100 });
    let held = 0;
    const consumer = log.consumeShared('target', () => held++, {
      maxHeld: 10,
      description: 'forwarding to t',
      shortOfRoom: (ahead, count) => (held + ahead + count <= 10 ? undefined : `t holds ${held + ahead}`),
    });
    expect(log.hasRoomFor(10)).toBe(true);
    await log.append([event('a'), event('b'), event('c'), event('d')]);
    // Four in the buffer, on their way to the consumer: six more fit.
    expect([log.hasRoomFor(6), log.hasRoomFor(7)]).toEqual([true, false]);
    expect(log.whyNoRoomFor(7)).toBe('t holds 4');
    await log.drained();
    expect(held).toBe(4);
    expect(log.whyNoRoomFor(7)).toBe('t holds 4');
    // Judged once for the whole append, as admission judges it: seven do not fit, so none goes in;
    // a repeat is still answered as one.
    const refused = await log.append([event('a'), ...Array.from({ length: 6 }, (_, i) => event(`x${i}`))]);
    expect(refused[0]).toEqual({ status: 'duplicate' });
    expect(refused.slice(1)).toEqual(Array(6).fill({ status: 'refused', reason: 'full', message: 't holds 4', retryAfterSeconds: 1 }));
    const six = await log.append(Array.from({ length: 6 }, (_, i) => event(`y${i}`)));
    expect(six.every((o) => o.status === 'stored')).toBe(true);
    await log.drained();
    expect(held).toBe(10);
    const waiting = waitForRoom(log, 7, 1000);
    held = 0;
    expect(await waiting).toBe(true);
    await consumer.stop();
    held = 1000;
    expect(log.hasRoomFor(50)).toBe(true);
  });

  it('waits for buffer room until its timeout, and names BUFFER_SIZE when the buffer is the reason', async () => {
    const log = memoryLog({ bufferSize: 1 });
    await log.append([event('a')]);
    expect(log.whyNoRoomFor(1)).toBe('the ingest buffer is full (BUFFER_SIZE 1); retry later');
    expect(await waitForRoom(log, 1, 1000)).toBe(true);
    await log.append([event('b')]);
    expect(await waitForRoom(log, 2, 20)).toBe(false);
  });
});
