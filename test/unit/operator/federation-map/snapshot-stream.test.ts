// A client that cannot keep up gets the latest graph when it drains, not a queue of old ones.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SnapshotStream } from '../../../../operator/federation-map/snapshot-stream.js';

/** A response whose socket takes `room` writes before it is full. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  headers: Record<string, string> | undefined;
  constructor(public room: number) {
    super();
  }
  writeHead(_status: number, headers: Record<string, string>) {
    this.headers = headers;
    return this;
  }
  write(text: string): boolean {
    this.written.push(text);
    return --this.room > 0;
  }
  end() {
    this.emit('close');
  }
}

const streams: SnapshotStream[] = [];
afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

describe('SnapshotStream', () => {
  it('holds only the newest message for a full client, and sends it once the socket drains', () => {
    const stream = new SnapshotStream({ maxClients: 4 });
    streams.push(stream);
    const slow = new FakeResponse(2);
    expect(stream.accept(slow as unknown as ServerResponse, { event: 'graph', data: 0 })).toBe(true);
    expect(slow.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    for (let i = 1; i <= 50; i++) stream.publish('graph', i);
    expect(slow.written).toEqual(['retry: 2000\n\n', 'event: graph\ndata: 0\n\n']);
    slow.room = 10;
    slow.emit('drain');
    expect(slow.written.slice(2)).toEqual(['event: graph\ndata: 50\n\n']);
    stream.publish('graph', 51);
    expect(slow.written.at(-1)).toBe('event: graph\ndata: 51\n\n');
  });

  it('forgets a client that closed, and takes no more than maxClients', () => {
    const stream = new SnapshotStream({ maxClients: 1 });
    streams.push(stream);
    const first = new FakeResponse(100);
    expect(stream.accept(first as unknown as ServerResponse)).toBe(true);
    expect(stream.full).toBe(true);
    expect(stream.accept(new FakeResponse(100) as unknown as ServerResponse)).toBe(false);
    first.emit('close');
    expect(stream.size).toBe(0);
    stream.publish('graph', 'late');
    expect(first.written.at(-1)).toBe('retry: 2000\n\n');
  });

  it('sends a newcomer the latest message, and keeps idle connections alive with comments', async () => {
    const stream = new SnapshotStream({ maxClients: 2, heartbeatMs: 30 });
    streams.push(stream);
    stream.publish('graph', { at: 7 });
    const late = new FakeResponse(100);
    stream.accept(late as unknown as ServerResponse);
    expect(late.written[1]).toBe('event: graph\ndata: {"at":7}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(late.written).toContain(': keepalive\n\n');
  });
});
