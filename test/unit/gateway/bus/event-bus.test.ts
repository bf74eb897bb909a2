import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../../gateway/bus/envelope.js';
import { EventBus } from '../../../../gateway/bus/event-bus.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string): McpEvent => ({ event_id: id, event_type: 't', source: 's', timestamp: 1, data: '{}', metadata: {} });

describe('EventBus', () => {
  it('dispatches accepted events to every sink in order, asynchronously', async () => {
    const seen: string[][] = [[], []];
    const bus = new EventBus({
      bufferSize: 10,
      sinks: seen.map((list) => ({ dispatch: (e: Envelope) => list.push(e.event.event_id) })),
    });
    expect(bus.publish(event('a'))).toBe('accepted');
    expect(bus.publish(event('b'), 'stream-1')).toBe('accepted');
    expect(seen[0]).toEqual([]);
    await bus.drained();
    expect(seen).toEqual([['a', 'b'], ['a', 'b']]);
    expect([bus.accepted, bus.dispatched]).toEqual([2, 2]);
  });

  it('refuses with buffer_full when the buffer is full, and takes again once it drains', async () => {
    const bus = new EventBus({ bufferSize: 2, sinks: [] });
    expect([bus.publish(event('a')), bus.publish(event('b')), bus.publish(event('c'))]).toEqual(['accepted', 'accepted', 'buffer_full']);
    expect(bus.hasRoomFor(1)).toBe(false);
    await bus.drained();
    expect(bus.publish(event('c'))).toBe('accepted');
  });

  it('dispatches in batches, yielding to I/O between them', async () => {
    const batches: number[] = [];
    const bus = new EventBus({ bufferSize: 100, sinks: [], batchSize: 10, onDispatched: (n) => batches.push(n) });
    for (let i = 0; i < 25; i++) bus.publish(event(`e${i}`));
    await bus.drained();
    expect(batches).toEqual([10, 10, 5]);
  });

  it('after close, refuses new events but still dispatches what it holds', async () => {
    const seen: string[] = [];
    const bus = new EventBus({ bufferSize: 10, sinks: [{ dispatch: (e) => seen.push(e.event.event_id) }] });
    bus.publish(event('held'));
    bus.close();
    expect(bus.publish(event('late'))).toBe('closed');
    await bus.drained();
    expect(seen).toEqual(['held']);
  });

  it('stamps envelopes with origin and a rising sequence', async () => {
    const envelopes: Envelope[] = [];
    const bus = new EventBus({ bufferSize: 10, sinks: [{ dispatch: (e) => envelopes.push(e) }], now: () => 77 });
    bus.publish(event('a'), 'origin-x');
    bus.publish(event('b'));
    await bus.drained();
    expect(envelopes.map((e) => [e.origin, e.receivedAt])).toEqual([['origin-x', 77], [undefined, 77]]);
    expect(envelopes[1]!.seq).toBeGreaterThan(envelopes[0]!.seq);
  });
});
