import { describe, expect, it } from 'vitest';
import { Envelope } from '../../../../gateway/bus/envelope.js';
import { EventHistory } from '../../../../gateway/bus/history.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string, timestamp: number): McpEvent => ({
  event_id: id,
  event_type: id.startsWith('doc') ? 'document.uploaded' : 'user.created',
  source: 's',
  timestamp,
  data: '{}',
  metadata: {},
});

describe('EventHistory', () => {
  it('keeps at most `size` events, oldest dropped first', () => {
    const history = new EventHistory({ size: 3, retentionMs: 60_000, now: () => 0 });
    for (let i = 1; i <= 5; i++) history.append(new Envelope(event(`e${i}`, i), 0, undefined, i));
    expect(history.since(0).map((e) => e.event.event_id)).toEqual(['e3', 'e4', 'e5']);
  });

  it('replays from a timestamp with a filter, in arrival order', () => {
    const history = new EventHistory({ size: 10, retentionMs: 60_000, now: () => 0 });
    [event('doc1', 100), event('usr1', 200), event('doc2', 50), event('doc3', 300)].forEach((e, i) =>
      history.append(new Envelope(e, 0, undefined, i)),
    );
    const docs = history.since(100, (e) => e.event.event_type.startsWith('document.'));
    expect(docs.map((e) => e.event.event_id)).toEqual(['doc1', 'doc3']);
  });

  it('forgets events older than the retention, by arrival time', () => {
    let now = 0;
    const history = new EventHistory({ size: 10, retentionMs: 1000, now: () => now });
    history.append(new Envelope(event('old', 1), 0, undefined, 1));
    now = 800;
    history.append(new Envelope(event('new', 2), 800, undefined, 2));
    now = 1500;
    expect(history.since(0).map((e) => e.event.event_id)).toEqual(['new']);
    expect(history.length).toBe(1);
  });

  it('holds nothing when size is 0', () => {
    const history = new EventHistory({ size: 0, retentionMs: 1000 });
    history.append(new Envelope(event('x', 1), 0, undefined, 1));
    expect(history.since(0)).toEqual([]);
  });
});
