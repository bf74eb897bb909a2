import { describe, expect, it } from 'vitest';
import { Envelope } from '../../../../gateway/bus/envelope.js';
import { Subscriber, type StreamEnding, type SubscriberTransport } from '../../../../gateway/bus/subscriber.js';

/** A transport that takes `room` writes before it asks the writer to wait for drain. */
class FakeTransport implements SubscriberTransport {
  written: string[] = [];
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

const envelope = (id: string) =>
  new Envelope({ event_id: id, event_type: 't', source: 's', timestamp: 1, data: '{}', metadata: {} }, 0, undefined, 0);

function subscriber(transport: FakeTransport, options: { queueSize?: number; replay?: Envelope[]; follow?: boolean } = {}) {
  const finished: StreamEnding[] = [];
  const sub = new Subscriber({
    id: 'sub-1',
    kind: 'stream_events',
    queueSize: options.queueSize ?? 3,
    transport,
    accepts: () => true,
    replay: options.replay ?? [],
    follow: options.follow ?? true,
    onFinished: (_s, ending) => finished.push(ending),
  });
  sub.start();
  return { sub, finished };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Subscriber', () => {
  it('writes straight through while the transport has room', () => {
    const transport = new FakeTransport();
    const { sub } = subscriber(transport);
    ['a', 'b', 'c', 'd', 'e'].forEach((id) => sub.offer(envelope(id)));
    expect(transport.written).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(sub.delivered).toBe(5);
  });

  it('queues while waiting for drain, then sends in order', async () => {
    const transport = new FakeTransport(1);
    const { sub } = subscriber(transport);
    ['a', 'b', 'c'].forEach((id) => sub.offer(envelope(id)));
    expect(transport.written).toEqual(['a']);
    expect(sub.queued).toBe(2);
    transport.drain(10);
    await tick();
    expect(transport.written).toEqual(['a', 'b', 'c']);
    expect(sub.queued).toBe(0);
  });

  it('is cut off when more than its queue is waiting, and drops what it held', () => {
    const transport = new FakeTransport(1);
    const { sub, finished } = subscriber(transport, { queueSize: 2 });
    ['a', 'b', 'c', 'd'].forEach((id) => sub.offer(envelope(id)));
    expect(finished).toHaveLength(1);
    expect(finished[0]!.kind).toBe('cut_off');
    expect(transport.endings[0]).toMatchObject({ kind: 'cut_off', message: expect.stringMatching(/more than 2 events/) });
    expect(sub.queued).toBe(0);
    sub.offer(envelope('e'));
    expect(transport.written).toEqual(['a']);
  });

  it('sends the replay before live events, and ends after it without follow', async () => {
    const transport = new FakeTransport();
    const { finished } = subscriber(transport, { replay: [envelope('h1'), envelope('h2')], follow: false });
    expect(transport.written).toEqual(['h1', 'h2']);
    expect(finished).toEqual([{ kind: 'complete' }]);
    expect(transport.endings).toEqual([{ kind: 'complete' }]);
  });

  it('live events offered during a replay wait behind it', async () => {
    const transport = new FakeTransport(1);
    const { sub } = subscriber(transport, { replay: [envelope('h1'), envelope('h2')], queueSize: 5 });
    sub.offer(envelope('live1'));
    transport.drain(10);
    await tick();
    expect(transport.written).toEqual(['h1', 'h2', 'live1']);
  });

  it('finishes as gone when the client leaves, without writing an ending', () => {
    const transport = new FakeTransport(1);
    const { sub, finished } = subscriber(transport);
    sub.offer(envelope('a'));
    sub.offer(envelope('b'));
    transport.leave();
    expect(finished).toEqual([{ kind: 'gone' }]);
    expect(transport.endings).toEqual([]);
    expect(sub.isFinished).toBe(true);
  });
});
