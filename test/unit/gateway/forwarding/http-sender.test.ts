import { describe, expect, it } from 'vitest';
import type { HttpClient, PostOutcome } from '../../../../gateway/forwarding/http-client.js';
import { createHttpSender } from '../../../../gateway/forwarding/http-sender.js';
import { Outgoing } from '../../../../gateway/forwarding/outgoing.js';
import type { Target } from '../../../../gateway/forwarding/target.js';
import type { McpEvent } from '../../../../src/event/index.js';

const event = (id: string, metadata: Record<string, string> = {}): McpEvent => ({
  event_id: id,
  event_type: 'doc.created',
  source: 's',
  timestamp: 1_700_000_000_000,
  data: '{"n":1}',
  metadata,
});
const out = (...ids: string[]) => ids.map((id) => new Outgoing(event(id)));

interface Posted {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A client that records each POST and answers from `answer`. */
function fakeClient(answer: (posted: Posted) => PostOutcome) {
  const posted: Posted[] = [];
  const client: HttpClient & { posted: Posted[]; closed: boolean } = {
    posted,
    closed: false,
    async post(path, headers, body) {
      const request = { path, headers, body: body.toString() };
      posted.push(request);
      return answer(request);
    },
    close() {
      this.closed = true;
    },
  };
  return client;
}

const target = (url: string, overrides: Partial<Target> = {}): Target => ({ url, id: 'peer', format: 'mcp', batch: true, ...overrides });
const accepted = (posted: Posted) => {
  const events = JSON.parse(posted.body) as { event_id: string }[];
  return {
    status: 200,
    body: JSON.stringify({ processed: events.length, results: events.map((e) => ({ event_id: e.event_id, status: 'accepted' })) }),
  };
};

describe('HTTP sender', () => {
  it('at a bare address sends batches to /api/v1/events/batch as a JSON array, signed ones with the peer header, and reads the answer per event', async () => {
    const client = fakeClient((posted) => {
      const events = JSON.parse(posted.body) as { event_id: string }[];
      return {
        status: 200,
        body: JSON.stringify({
          status: 'partial',
          results: events.map((e) =>
            e.event_id === 'bad' ? { event_id: 'bad', status: 'rejected', error: 'invalid' } : { event_id: e.event_id, status: 'accepted' },
          ),
        }),
      };
    });
    const sender = createHttpSender({ target: target('http://peer:8080'), connections: 4, maxEvents: 100, client });
    const signed = new Outgoing(event('s', { mcpkid: 'k1', mcpsig: 'x' }));
    const answers = await sender.send([...out('a', 'bad'), signed], 1000);
    expect(client.posted).toHaveLength(1);
    expect(client.posted[0]).toMatchObject({ path: '/api/v1/events/batch', headers: { 'content-type': 'application/json', 'x-mcp-signed': 'k1' } });
    expect(JSON.parse(client.posted[0]!.body).map((e: McpEvent) => e.event_id)).toEqual(['a', 'bad', 's']);
    expect(answers.map((a) => a.status)).toEqual([200, 400, 200]);
    expect(sender.mode).toBe('batch');
  });

  it('falls back to single events at /api/v1/events for a receiver without the batch route, and tries batches again later', async () => {
    let now = 0;
    const client = fakeClient((posted) =>
      posted.path === '/api/v1/events/batch' && now < 1000
        ? { status: 404, body: 'not found' }
        : posted.path === '/api/v1/events/batch'
          ? accepted(posted)
          : { status: 200, body: '{}' },
    );
    const sender = createHttpSender({ target: target('http://peer:8080/'), connections: 4, maxEvents: 100, client, reprobeMs: 1000, now: () => now });
    expect((await sender.send(out('a', 'b'), 1000)).map((a) => a.status)).toEqual([200, 200]);
    expect(client.posted.map((p) => p.path)).toEqual(['/api/v1/events/batch', '/api/v1/events', '/api/v1/events']);
    expect([sender.mode, sender.maxEvents]).toEqual(['single', 1]);
    now = 1000;
    expect([sender.mode, sender.maxEvents]).toEqual(['batch', 100]);
    await sender.send(out('c', 'd'), 1000);
    expect(client.posted.at(-1)!.path).toBe('/api/v1/events/batch');
  });

  it("takes the batch limit a 413 names (ours, and the Go reference's)", async () => {
    for (const [message, limit] of [
      [
        '{"status":"rejected","error":"invalid_batch","message":"events: a batch holds 1 to 3 events (MAX_BATCH_SIZE, at most BUFFER_SIZE), got 8"}',
        3,
      ],
      ['Too many events (max 2)\n', 2],
    ] as const) {
      const client = fakeClient((posted) =>
        (JSON.parse(posted.body) as unknown[]).length > limit ? { status: 413, body: message } : accepted(posted),
      );
      const sender = createHttpSender({ target: target('http://peer:8080'), connections: 4, maxEvents: 8, client });
      expect((await sender.send(out('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), 1000)).every((a) => a.status === 200)).toBe(true);
      expect(sender.maxEvents).toBe(limit);
    }
  });

  it('sends smaller batches to a receiver that answers 413 to a batch', async () => {
    const client = fakeClient((posted) =>
      (JSON.parse(posted.body) as unknown[]).length > 2 ? { status: 413, body: 'a batch holds 1 to 2 events' } : accepted(posted),
    );
    const sender = createHttpSender({ target: target('http://peer:8080'), connections: 4, maxEvents: 8, client });
    const answers = await sender.send(out('a', 'b', 'c', 'd', 'e'), 1000);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(sender.maxEvents).toBe(2);
    expect(client.posted.map((p) => (JSON.parse(p.body) as unknown[]).length)).toEqual([5, 2, 2, 1]);
  });

  it('with a path, sends one event per request there as it is', async () => {
    const client = fakeClient(() => ({ status: 202, body: '' }));
    const sender = createHttpSender({ target: target('http://peer:8080/mcp', { batch: false }), connections: 4, maxEvents: 100, client });
    await sender.send(out('a'), 1000);
    expect([sender.mode, sender.maxEvents]).toEqual(['single', 1]);
    expect(client.posted).toEqual([{ path: '/mcp', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event('a')) }]);
  });

  it('legacy: {id, data} to /mcp', async () => {
    const client = fakeClient(() => ({ status: 200, body: '{"status":"accepted"}' }));
    const sender = createHttpSender({
      target: target('http://old:8080', { format: 'legacy', batch: false }),
      connections: 4,
      maxEvents: 100,
      client,
    });
    await sender.send(out('a'), 1000);
    expect(client.posted).toEqual([{ path: '/mcp', headers: { 'content-type': 'application/json' }, body: '{"id":"a","data":"{\\"n\\":1}"}' }]);
    expect(sender.mode).toBe('legacy');
  });

  it('cloudevents: binary mode per event; with batch, the batched content mode answered as a whole', async () => {
    const client = fakeClient(() => ({ status: 202, body: '' }));
    const single = createHttpSender({
      target: target('http://argo:12000/hook', { format: 'cloudevents', batch: false }),
      connections: 4,
      maxEvents: 100,
      client,
    });
    await single.send(out('a'), 1000);
    expect(client.posted[0]).toMatchObject({
      path: '/hook',
      headers: { 'ce-id': 'a', 'ce-type': 'doc.created', 'content-type': 'application/json' },
      body: '{"n":1}',
    });
    const batched = createHttpSender({
      target: target('http://knative:80/', { format: 'cloudevents', batch: true }),
      connections: 4,
      maxEvents: 100,
      client,
    });
    expect(batched.mode).toBe('cloudevents-batch');
    const answers = await batched.send(out('b', 'c'), 1000);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const posted = client.posted[1]!;
    expect(posted.headers['content-type']).toBe('application/cloudevents-batch+json');
    expect(JSON.parse(posted.body)).toEqual([
      {
        specversion: '1.0',
        id: 'b',
        source: 's',
        type: 'doc.created',
        time: '2023-11-14T22:13:20.000Z',
        datacontenttype: 'application/json',
        data: { n: 1 },
      },
      {
        specversion: '1.0',
        id: 'c',
        source: 's',
        type: 'doc.created',
        time: '2023-11-14T22:13:20.000Z',
        datacontenttype: 'application/json',
        data: { n: 1 },
      },
    ]);
  });

  it('answers every event of a request that got no answer alike, and a whole-request status to each', async () => {
    const down = createHttpSender({
      target: target('http://peer:8080'),
      connections: 4,
      maxEvents: 100,
      client: fakeClient(() => ({ failed: true, code: 'ECONNREFUSED', error: 'connect ECONNREFUSED' })),
    });
    expect(await down.send(out('a', 'b'), 1000)).toEqual([
      { protocol: 'none', status: 'ECONNREFUSED', error: 'connect ECONNREFUSED' },
      { protocol: 'none', status: 'ECONNREFUSED', error: 'connect ECONNREFUSED' },
    ]);
    const busy = createHttpSender({
      target: target('http://peer:8080'),
      connections: 4,
      maxEvents: 100,
      client: fakeClient(() => ({ status: 503, retryAfter: '3', body: 'shutting down' })),
    });
    expect((await busy.send(out('a', 'b'), 1000))[1]).toEqual({
      protocol: 'http',
      status: 503,
      error: 'HTTP 503: shutting down',
      retryAfterMs: 3000,
    });
  });
});
