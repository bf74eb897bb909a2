import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../../gateway/log/envelope.js';
import { MemoryLog } from '../../../../gateway/log/memory-log.js';
import { SubscriberRegistry } from '../../../../gateway/subscribers/subscriber-registry.js';
import { Subscriber, type StreamEnding, type SubscriberStart, type SubscriberTransport } from '../../../../gateway/subscribers/subscriber.js';
import type { McpEvent } from '../../../../src/event/index.js';

/** A transport that takes `room` writes before it asks the writer to wait for drain. */
class FakeTransport implements SubscriberTransport {
  written: string[] = [];
  positions: number[] = [];
  endings: StreamEnding[] = [];
  gone = false;
  private drainWaiters: (() => void)[] = [];
  private goneListener: (() => void) | undefined;
  constructor(public room = Infinity) {}
  onGone(listener: () => void) {
    this.goneListener = listener;
  }
  write(envelope: Envelope) {
    this.written.push(envelope.event.event_id);
    this.positions.push(envelope.position);
    return this.written.length < this.room;
  }
  waitForDrain() {
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }
  drain(extraRoom: number) {
    this.room += extraRoom;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
  leave() {
    this.gone = true;
    this.goneListener?.();
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
  end(ending: StreamEnding) {
    this.endings.push(ending);
  }
}

const event = (id: string, timestamp = 1, type = 't'): McpEvent => ({
  event_id: id,
  event_type: type,
  source: 's',
  timestamp,
  data: '{}',
  metadata: {},
});

/** A memory log with a subscriber registry on its live fan-out, as the gateway wires them. */
function setup(historySize = 1000) {
  const log = new MemoryLog({ bufferSize: 10_000, history: { size: historySize, retentionMs: 60_000 }, dedupe: { size: 10_000, ttlMs: 60_000 } });
  const registry = new SubscriberRegistry();
  log.addSink(registry);
  const publish = async (...events: McpEvent[]) => {
    const outcomes = await log.append(events);
    await log.drained();
    return outcomes.map((o) => (o as { position: number }).position);
  };
  return { log, registry, publish };
}

function subscribe(
  { log, registry }: ReturnType<typeof setup>,
  transport: FakeTransport,
  options: {
    queueSize?: number;
    start?: SubscriberStart;
    follow?: boolean;
    minTimestamp?: number;
    accepts?: (e: Envelope) => boolean;
    id?: string;
  } = {},
) {
  const finished: StreamEnding[] = [];
  const behind: string[] = [];
  const sub = new Subscriber({
    id: options.id ?? 'sub-1',
    kind: 'stream_events',
    queueSize: options.queueSize ?? 3,
    transport,
    accepts: options.accepts ?? (() => true),
    log,
    start: options.start ?? { live: true },
    minTimestamp: options.minTimestamp,
    follow: options.follow ?? true,
    pageSize: 4,
    idlePollMs: 1,
    observer: { fellBehind: () => behind.push('behind'), caughtUp: () => behind.push('caught up') },
    onFinished: (s, ending) => {
      registry.remove(s, ending);
      finished.push(ending);
    },
  });
  if (options.follow ?? true) registry.add(sub);
  sub.start();
  return { sub, finished, behind };
}

const until = async (condition: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
};

describe('Subscriber', () => {
  it('writes straight through while the transport has room', async () => {
    const world = setup();
    const transport = new FakeTransport();
    const { sub } = subscribe(world, transport);
    await world.publish(...['a', 'b', 'c', 'd', 'e'].map((id) => event(id)));
    expect(transport.written).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sub.delivered).toBe(5);
  });

  it('queues while waiting for drain, then sends in order', async () => {
    const world = setup();
    const transport = new FakeTransport(1);
    const { sub } = subscribe(world, transport);
    await world.publish(event('a'), event('b'), event('c'));
    expect(transport.written).toEqual(['a']);
    expect(sub.queued).toBe(2);
    transport.drain(10);
    await until(() => transport.written.length === 3);
    expect(transport.written).toEqual(['a', 'b', 'c']);
    expect(sub.queued).toBe(0);
  });

  it('falls behind its queue without being cut off: reads the log at its own pace, then rejoins the live fan-out, missing nothing', async () => {
    const world = setup();
    const transport = new FakeTransport(1);
    const { sub, finished, behind } = subscribe(world, transport, { queueSize: 2 });
    const ids = Array.from({ length: 30 }, (_, i) => `e${i}`);
    await world.publish(...ids.slice(0, 20).map((id) => event(id)));
    expect(sub.isLive).toBe(false);
    expect(sub.queued).toBeLessThanOrEqual(2 + 4); // its queue and one page, never more
    // A slow client: a little room at a time.
    while (transport.written.length < 20) {
      transport.drain(3);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await until(() => sub.isLive);
    await world.publish(...ids.slice(20).map((id) => event(id)));
    transport.drain(100);
    await until(() => transport.written.length === 30 && sub.isLive);
    expect(transport.written).toEqual(ids);
    expect(finished).toEqual([]);
    // Behind and back, each time (the second batch may find it behind again).
    expect(behind.length).toBeGreaterThanOrEqual(2);
    expect(behind).toEqual(behind.map((_, i) => (i % 2 === 0 ? 'behind' : 'caught up')));
  });

  it('is cut off, told which positions are gone, only when the log no longer holds its next event', async () => {
    const world = setup(3);
    const transport = new FakeTransport(1);
    const { finished } = subscribe(world, transport, { queueSize: 2 });
    const positions = await world.publish(...Array.from({ length: 10 }, (_, i) => event(`e${i}`)));
    transport.drain(100);
    await until(() => finished.length === 1);
    // Written: e0 (the transport's one slot), then e1 and e2 from its queue; e3 found the queue full.
    expect(transport.written).toEqual(['e0', 'e1', 'e2']);
    expect(finished[0]).toMatchObject({ kind: 'cut_off', lost: { from: positions[3], to: positions[6] } });
    expect((finished[0] as { message: string }).message).toMatch(/fell behind .* no longer holds its next event: events at log positions/);
    expect(transport.endings).toEqual(finished);
  });

  it('replays from a time, filtered on the events own timestamps, then follows live without gaps or duplicates', async () => {
    const world = setup();
    await world.publish(event('old', 5), event('r1', 100), event('r2', 200));
    const transport = new FakeTransport();
    subscribe(world, transport, { start: { fromTime: 100 }, minTimestamp: 100 });
    await until(() => transport.written.length === 2);
    await world.publish(event('live-with-an-old-timestamp', 1), event('live2', 300));
    expect(transport.written).toEqual(['r1', 'r2', 'live-with-an-old-timestamp', 'live2']);
  });

  it('without follow, ends OK after reading to the end of the log', async () => {
    const world = setup();
    await world.publish(event('h1'), event('h2'));
    const transport = new FakeTransport();
    const { finished } = subscribe(world, transport, { start: { fromTime: 0 }, follow: false });
    await until(() => finished.length === 1);
    expect(transport.written).toEqual(['h1', 'h2']);
    expect(finished).toEqual([{ kind: 'complete' }]);
  });

  it('resumes after a position it was given', async () => {
    const world = setup();
    const positions = await world.publish(event('a'), event('b'), event('c'));
    const transport = new FakeTransport();
    subscribe(world, transport, { start: { after: positions[0]! } });
    await until(() => transport.written.length === 2);
    expect(transport.written).toEqual(['b', 'c']);
    expect(transport.positions).toEqual(positions.slice(1));
  });

  it('skips events it does not want, and its own (by origin)', async () => {
    const world = setup();
    const transport = new FakeTransport();
    subscribe(world, transport, { accepts: (e) => e.event.event_type === 'keep' });
    await world.log.append([event('own', 1, 'keep')], 'sub-1');
    await world.publish(event('other', 1, 'drop'), event('kept', 1, 'keep'));
    expect(transport.written).toEqual(['kept']);
  });

  it('after endWhenSent, sends what it has queued and ends OK', async () => {
    const world = setup();
    const transport = new FakeTransport(1);
    const { sub, finished } = subscribe(world, transport, { queueSize: 5 });
    await world.publish(event('a'), event('b'));
    sub.endWhenSent();
    expect(finished).toEqual([]);
    transport.drain(10);
    await until(() => finished.length === 1);
    expect(transport.written).toEqual(['a', 'b']);
    expect(finished).toEqual([{ kind: 'complete' }]);
  });

  it('finishes as gone when the client leaves, without writing an ending', async () => {
    const world = setup();
    const transport = new FakeTransport(1);
    const { sub, finished } = subscribe(world, transport);
    await world.publish(event('a'), event('b'));
    transport.leave();
    expect(finished).toEqual([{ kind: 'gone' }]);
    expect(transport.endings).toEqual([]);
    expect(sub.isFinished).toBe(true);
  });
});
