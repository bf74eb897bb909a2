import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiException, type EventsV1Event, type EventsV1EventSeries } from '@kubernetes/client-node';
import { EventRecorder, truncateUtf8, type EventRecord, type EventWriter } from '../../../src/kube/event-recorder.js';

/** Keeps Events like the API server would, and logs every write with its time. */
class FakeEventWriter implements EventWriter {
  readonly events = new Map<string, EventsV1Event>();
  readonly writeTimes: number[] = [];
  failNext: Error[] = [];

  /** Writes that succeed on the "server" but answer with an error (a timeout, say). */
  ambiguousNext = 0;

  async create(namespace: string, event: EventsV1Event): Promise<void> {
    this.writeTimes.push(Date.now());
    const failure = this.failNext.shift();
    if (failure) throw failure;
    const key = `${namespace}/${event.metadata!.name}`;
    if (this.events.has(key)) throw new ApiException(409, 'exists', { reason: 'AlreadyExists' }, {});
    this.events.set(key, JSON.parse(JSON.stringify(event)));
    if (this.ambiguousNext > 0) {
      this.ambiguousNext--;
      throw new ApiException(504, 'timeout', {}, {});
    }
  }

  async updateSeries(namespace: string, name: string, series: EventsV1EventSeries): Promise<void> {
    this.writeTimes.push(Date.now());
    const failure = this.failNext.shift();
    if (failure) throw failure;
    const event = this.events.get(`${namespace}/${name}`);
    if (!event) throw new ApiException(404, 'not found', { reason: 'NotFound' }, {});
    event.series = JSON.parse(JSON.stringify(series));
  }

  /** Occurrences the API server holds: 1 per Event, or its series.count. */
  occurrences(): number {
    let total = 0;
    for (const event of this.events.values()) total += event.series?.count ?? 1;
    return total;
  }
}

const regarding = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', namespace: 'team-a', name: 'gw', uid: 'u-1' };
const dispatched = (i: number): EventRecord => ({
  regarding,
  type: 'Normal',
  reason: 'EventDispatched',
  action: 'Dispatch',
  note: `event of type t${i % 10}`,
  labels: { 'mcp.tas.ai/server': 'gw', 'mcp.tas.ai/event-type': `t${i % 10}` },
});

describe('EventRecorder', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21, 12, 0, 0, 0) }));
  afterEach(() => vi.useRealTimers());

  it('creates an Event with the required fields, MicroTime eventTime and the caller labels', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'mcp.tas.ai/operator', reportingInstance: 'op-0' });
    const annotations = { 'mcp.tas.ai/event-type': 'urn:x/y' };
    expect(
      recorder.record({ regarding, type: 'Warning', reason: 'ReconcileFailed', action: 'Reconcile', note: 'boom', labels: { a: 'b' }, annotations }),
    ).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    const [event] = [...writer.events.values()];
    expect(event).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'team-a', labels: { a: 'b' }, annotations },
      eventTime: '2026-11-21T12:00:00.000000Z',
      reportingController: 'mcp.tas.ai/operator',
      reportingInstance: 'op-0',
      regarding,
      type: 'Warning',
      reason: 'ReconcileFailed',
      action: 'Reconcile',
      note: 'boom',
    });
    expect(event!.metadata!.name).toMatch(/^gw\.[0-9a-f]+$/);
    expect(event!.series).toBeUndefined();
  });

  it("keeps records with different annotations in different Events (an Event's annotations are fixed when it is made)", async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i' });
    const base = { regarding, type: 'Normal' as const, reason: 'EventDispatched', action: 'Dispatch', noteKey: 'same', labels: { t: 'x' } };
    recorder.record({ ...base, annotations: { t: 'x:1' } });
    recorder.record({ ...base, annotations: { t: 'x:2' } });
    recorder.record({ ...base, annotations: { t: 'x:1' } });
    await vi.advanceTimersByTimeAsync(1000);
    expect([...writer.events.values()].map((e) => [e.metadata!.annotations!.t, e.series?.count ?? 1]).sort()).toEqual([
      ['x:1', 2],
      ['x:2', 1],
    ]);
  });

  it('keeps API writes within qps/burst under 5,000 records/s for 10 s, and the counts exact', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', qps: 10, burst: 25 });
    const start = Date.now();
    let recorded = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      for (let i = 0; i < 5; i++) expect(recorder.record(dispatched(recorded++))).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(recorded).toBe(50_000);
    expect(writer.writeTimes.length).toBeLessThanOrEqual(10 * 10 + 25);
    // What is left goes out afterwards, still within the budget.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(recorder.stats()).toMatchObject({ recorded: 50_000, pending: 0, inFlight: 0, dropped: 0, failed: 0, written: 50_000 });
    expect(writer.occurrences()).toBe(50_000);
    expect(writer.events.size).toBe(10); // one Event per distinct key, the rest in its series
    // Any window of T seconds holds at most burst + qps*T writes.
    for (const [i, t] of writer.writeTimes.entries()) {
      const inNextSecond = writer.writeTimes.slice(i).filter((u) => u < t + 1000).length;
      expect(inNextSecond).toBeLessThanOrEqual(25 + 10);
    }
    expect(writer.writeTimes.every((t) => t >= start)).toBe(true);
    const series = [...writer.events.values()].map((e) => e.series);
    expect(series.every((s) => s && s.count > 1 && typeof s.lastObservedTime === 'string' && /\.\d{6}Z$/.test(String(s.lastObservedTime)))).toBe(
      true,
    );
  });

  it('record() is synchronous and cheap even while the writer hangs', async () => {
    const writer: EventWriter = { create: () => new Promise(() => {}), updateSeries: () => new Promise(() => {}) };
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i' });
    const began = performance.now();
    for (let i = 0; i < 100_000; i++) recorder.record(dispatched(i));
    expect(performance.now() - began).toBeLessThan(2_000);
    expect(recorder.stats()).toMatchObject({ recorded: 100_000, dropped: 0 });
    // Every occurrence is accounted for somewhere, also with writes hanging in flight.
    await vi.advanceTimersByTimeAsync(0);
    const { recorded, written, failed, pending, inFlight } = recorder.stats();
    expect(inFlight).toBeGreaterThan(0);
    expect(written + failed + pending + inFlight).toBe(recorded);
  });

  it('starts no request inside record(): writes begin after the caller returns', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i' });
    recorder.record(dispatched(0));
    expect(writer.writeTimes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.writeTimes).toHaveLength(1);
  });

  it('cuts notes to 1 kB of UTF-8 without splitting characters', () => {
    expect(truncateUtf8('abc', 1024)).toBe('abc');
    const euros = '€'.repeat(400); // 3 bytes each
    expect(Buffer.byteLength(truncateUtf8(euros, 1024))).toBe(1023);
    expect(truncateUtf8('a' + '😀'.repeat(600), 1024)).toBe('a' + '😀'.repeat(255));
  });

  it('drops (and counts) occurrences of new keys beyond maxPendingKeys, never of held ones', async () => {
    const writer: EventWriter = { create: () => new Promise(() => {}), updateSeries: () => new Promise(() => {}) };
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', maxPendingKeys: 3 });
    const withNote = (note: string): EventRecord => ({ regarding, type: 'Normal', reason: 'R', action: 'A', note });
    expect(recorder.record(withNote('1'))).toBe(true);
    expect(recorder.record(withNote('2'))).toBe(true);
    expect(recorder.record(withNote('3'))).toBe(true);
    expect(recorder.record(withNote('4'))).toBe(false);
    expect(recorder.record(withNote('1'))).toBe(true);
    expect(recorder.stats()).toMatchObject({ recorded: 4, dropped: 1 });
  });

  it('backs off on 429 for Retry-After and loses no occurrence', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', qps: 100, burst: 100 });
    writer.failNext.push(new ApiException(429, 'slow down', {}, { 'retry-after': '3' }));
    recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.writeTimes).toHaveLength(1);
    for (let i = 0; i < 7; i++) recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(writer.writeTimes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.writeTimes).toHaveLength(2);
    expect(writer.occurrences()).toBe(8);
    expect(recorder.stats()).toMatchObject({ throttled: 1, written: 8, pending: 0 });
  });

  it('retries failed writes with backoff, treats a repeated create as done, and gives up after maxAttempts', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({
      writer,
      reportingController: 'c',
      reportingInstance: 'i',
      maxAttempts: 2,
      retryBackoff: { baseMs: 100, maxMs: 100 },
    });
    writer.failNext.push(new ApiException(500, 'oops', {}, {}));
    recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(100);
    expect(writer.occurrences()).toBe(1);
    expect(recorder.stats()).toMatchObject({ written: 1, failed: 0 });

    writer.failNext.push(new ApiException(503, 'down', {}, {}), new ApiException(503, 'down', {}, {}));
    recorder.record(dispatched(0));
    recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(recorder.stats()).toMatchObject({ written: 1, failed: 2, pending: 0 });

    writer.failNext.push(new ApiException(422, 'invalid', {}, {}));
    recorder.record(dispatched(1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(recorder.stats()).toMatchObject({ failed: 3 });
  });

  it('keeps counts exact when a create succeeded but answered an error, and more occurrences came meanwhile', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', retryBackoff: { baseMs: 100, maxMs: 100 } });
    writer.ambiguousNext = 1;
    for (let i = 0; i < 3; i++) recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(0);
    expect(writer.occurrences()).toBe(3); // on the server, though the recorder was told it failed
    for (let i = 0; i < 2; i++) recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writer.events.size).toBe(1);
    expect(writer.occurrences()).toBe(5);
    expect(recorder.stats()).toMatchObject({ written: 5, pending: 0, failed: 0, eventsCreated: 1 });
  });

  it('starts nothing after close() gave up; a late failure counts as failed', async () => {
    let failLate!: (error: Error) => void;
    const creates: number[] = [];
    const writer: EventWriter = {
      create: () => {
        creates.push(Date.now());
        return new Promise((_, reject) => (failLate = reject));
      },
      updateSeries: async () => {},
    };
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', qps: 1, burst: 1 });
    recorder.record(dispatched(0));
    recorder.record(dispatched(1));
    await vi.advanceTimersByTimeAsync(0);
    const closing = recorder.close(500);
    await vi.advanceTimersByTimeAsync(500);
    await expect(closing).resolves.toBe(1); // dispatched(1) never got a token
    failLate(new Error('socket hang up'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(creates).toHaveLength(1);
    expect(recorder.stats()).toMatchObject({ recorded: 2, written: 0, failed: 2, pending: 0 });
  });

  it('starts a new Event when the old one is gone (404 on the series update)', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i' });
    recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(0);
    writer.events.clear();
    recorder.record(dispatched(0));
    recorder.record(dispatched(0));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writer.events.size).toBe(1);
    expect(writer.occurrences()).toBe(2);
    expect(recorder.stats()).toMatchObject({ pending: 0, failed: 0 });
  });

  it('close() flushes what is pending within the budget, then refuses new records', async () => {
    const writer = new FakeEventWriter();
    const recorder = new EventRecorder({ writer, reportingController: 'c', reportingInstance: 'i', qps: 1, burst: 1 });
    for (let i = 0; i < 3; i++) recorder.record(dispatched(i));
    const closing = recorder.close(10_000);
    expect(recorder.record(dispatched(0))).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(closing).resolves.toBe(0);
    expect(writer.occurrences()).toBe(3);
  });
});
