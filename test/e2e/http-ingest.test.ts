// HTTP ingest against a real gateway process: every answer the issue lists, over real sockets.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway({ env: { MAX_EVENT_SIZE: '4KiB', MAX_BATCH_SIZE: '5', BUFFER_SIZE: '50' } });
});
afterAll(async () => {
  expect(await gateway.stop()).toBe(0);
});

function post(path: string, body: unknown, contentType = 'application/json') {
  return fetch(`${gateway.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  event_type: 'document.uploaded',
  source: 'aether-be',
  data: JSON.stringify({ document_id: 'doc_456' }),
  metadata: { tenant_id: 'tenant_789' },
  ...extra,
});

describe('accepted events', () => {
  it('answers 200 on /mcp for the legacy {id, data} body (seed 000)', async () => {
    const response = await post('/mcp', { id: 'ctx-001', data: '{"agent":"assistant","context":"user_query"}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ event_id: 'ctx-001', status: 'accepted' });
  });

  it('answers 200 on /mcp for the full event', async () => {
    const response = await post('/mcp', event('full-1'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ event_id: 'full-1', status: 'accepted' });
  });

  it('answers 200 on /api/v1/events, like the Go reference', async () => {
    const response = await post('/api/v1/events', event('api-1', { timestamp: 1704537600000 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ event_id: 'api-1', status: 'accepted' });
  });

  it('takes a batch as an array or as {events}', async () => {
    const asArray = await post('/api/v1/events/batch', [event('b-1'), event('b-2')]);
    expect(asArray.status).toBe(200);
    expect(await asArray.json()).toEqual({
      status: 'accepted',
      processed: 2,
      accepted: 2,
      duplicates: 0,
      rejected: 0,
      refused: 0,
      event_ids: ['b-1', 'b-2'],
      results: [
        { event_id: 'b-1', status: 'accepted' },
        { event_id: 'b-2', status: 'accepted' },
      ],
    });
    const asObject = await post('/api/v1/events/batch', { events: [event('b-3')] });
    expect(asObject.status).toBe(200);
  });

  it('acknowledges a repeated event_id as a duplicate without dispatching it again', async () => {
    const first = await post('/api/v1/events', event('dup-1'));
    const again = await post('/api/v1/events', event('dup-1'));
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ event_id: 'dup-1', status: 'duplicate' });
    const batch = await post('/api/v1/events/batch', [event('dup-1'), event('dup-2')]);
    expect(await batch.json()).toMatchObject({ accepted: 1, duplicates: 1 });
    const metrics = await (await fetch(`${gateway.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/tas_mcp_events_duplicate_total\{method="http"\} 2/);
  });

  it('accepts application/*+json content types', async () => {
    const response = await post('/api/v1/events', event('ce-1'), 'application/cloudevents+json; charset=utf-8');
    expect(response.status).toBe(200);
  });
});

describe('rejected events name the field', () => {
  const cases: [string, unknown, string][] = [
    ['missing event_type', { event_id: 'x', source: 's', data: '{}' }, 'event_type'],
    ['missing source', { event_id: 'x', event_type: 't', data: '{}' }, 'source'],
    ['missing event_id', { event_type: 't', source: 's', data: '{}' }, 'event_id'],
    ['id over 128 characters', event('i'.repeat(129)), 'event_id'],
    ['data that is not JSON text', event('x', { data: '{not json' }), 'data'],
    ['data given as an object', event('x', { data: { a: 1 } }), 'data'],
    ['metadata value not a string', event('x', { metadata: { tenant_id: 7 } }), 'metadata.tenant_id'],
    ['metadata as an array', event('x', { metadata: ['a'] }), 'metadata'],
    ['negative timestamp', event('x', { timestamp: -5 }), 'timestamp'],
    ['legacy without data', { id: 'legacy-1' }, 'data'],
    ['a JSON array as the body', [1, 2], 'body'],
  ];
  it.each(cases)('%s -> 400', async (_name, body, field) => {
    const response = await post('/api/v1/events', body);
    expect(response.status).toBe(400);
    const answer = (await response.json()) as { field: string; message: string; status: string };
    expect(answer.status).toBe('rejected');
    expect(answer.field).toBe(field);
    expect(answer.message).toContain(field);
  });

  it('400 for a body that is not JSON', async () => {
    const response = await post('/mcp', '{"id": ');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/not valid JSON/);
  });

  it('415 for a wrong content type', async () => {
    const response = await post('/mcp', 'id=1&data=2', 'application/x-www-form-urlencoded');
    expect(response.status).toBe(415);
    expect(((await response.json()) as { message: string }).message).toMatch(/content-type/);
  });

  it('413 for an event over MAX_EVENT_SIZE after decoding', async () => {
    const response = await post('/api/v1/events', event('big', { data: JSON.stringify({ blob: 'x'.repeat(5000) }) }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toMatch(/MAX_EVENT_SIZE/);
  });

  it('413 for a batch over MAX_BATCH_SIZE, 400 for an empty one', async () => {
    const six = Array.from({ length: 6 }, (_, i) => event(`over-${i}`));
    expect((await post('/api/v1/events/batch', six)).status).toBe(413);
    expect((await post('/api/v1/events/batch', [])).status).toBe(400);
  });

  it('a batch with a bad event takes the others, and says which one failed and why', async () => {
    const response = await post('/api/v1/events/batch', [event('ok-1'), event('bad', { source: '' }), event('ok-2')]);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'partial',
      accepted: 2,
      rejected: 1,
      results: [
        { event_id: 'ok-1', status: 'accepted' },
        { event_id: 'bad', status: 'rejected', error: 'invalid', field: 'events[1].source', message: expect.stringContaining('source') },
        { event_id: 'ok-2', status: 'accepted' },
      ],
    });
  });

  it('a batch of only bad events is answered 400, naming the first problem and each one', async () => {
    const response = await post('/api/v1/events/batch', [event('bad-1', { source: '' }), event('bad-2', { data: 'x' })]);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      field: 'events[0].source',
      rejected: 2,
      results: [{ field: 'events[0].source' }, { field: 'events[1].data' }],
    });
  });
});

describe('oversized bodies are refused while they stream in', () => {
  function rawRequest(headers: string, bodyChunk: Buffer, chunks: number): Promise<{ answer: string; bytesSent: number }> {
    return new Promise((resolve, reject) => {
      const socket = connect(gateway.ports.http, '127.0.0.1');
      let answer = '';
      let bytesSent = 0;
      let sent = 0;
      socket.on('data', (data) => (answer += data.toString()));
      socket.on('error', () => {}); // the server may reset once it has answered
      socket.on('close', () => resolve({ answer, bytesSent }));
      socket.on('connect', () => {
        socket.write(headers);
        const pump = () => {
          // Stop sending as soon as an answer arrives: that is the point being tested.
          if (answer !== '' || sent >= chunks || socket.destroyed) {
            if (sent >= chunks) socket.end();
            return;
          }
          sent++;
          bytesSent += bodyChunk.length;
          socket.write(bodyChunk, () => setTimeout(pump, 2));
        };
        pump();
      });
      setTimeout(() => reject(new Error('no answer in 10 s')), 10_000).unref();
    });
  }

  it('413 from the declared content-length, before the body is sent', async () => {
    const declared = 50 * 1024 * 1024;
    const headers = `POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`;
    const { answer, bytesSent } = await rawRequest(headers, Buffer.alloc(16 * 1024, 0x20), 3200);
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(bytesSent).toBeLessThan(declared);
  });

  it('413 for a chunked body once it passes the limit', async () => {
    const headers = 'POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const piece = Buffer.alloc(16 * 1024, 0x20);
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const { answer, bytesSent } = await rawRequest(headers, chunk, 3200);
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(bytesSent).toBeLessThan(3200 * chunk.length);
  });
});

describe('health and metrics', () => {
  it('GET /health on both ports', async () => {
    for (const base of [gateway.healthUrl, gateway.httpUrl]) {
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; timestamp: string; version: string };
      expect(body.status).toBe('healthy');
      expect(Date.parse(body.timestamp)).toBeGreaterThan(0);
      expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    }
  });

  it('GET /ready is 200 once serving', async () => {
    expect((await fetch(`${gateway.healthUrl}/ready`)).status).toBe(200);
  });

  it('GET /metrics carries the seed metric names with real counts', async () => {
    const text = await (await fetch(`${gateway.healthUrl}/metrics`)).text();
    for (const name of [
      'tas_mcp_events_total',
      'tas_mcp_active_connections',
      'tas_mcp_forward_duration_seconds',
      'tas_mcp_event_size_bytes',
      'tas_mcp_buffer_utilization_ratio',
      'tas_mcp_subscribers_cut_off_total',
      'process_cpu',
    ]) {
      expect(text, name).toContain(name === 'process_cpu' ? 'tas_mcp_process_cpu_seconds_total' : `# TYPE ${name}`);
    }
    const success = /tas_mcp_events_total\{method="http",status="success"\} (\d+)/.exec(text);
    expect(Number(success?.[1])).toBeGreaterThanOrEqual(6);
    const errors = /tas_mcp_events_rejected_total\{method="http",reason="invalid"\} (\d+)/.exec(text);
    expect(Number(errors?.[1])).toBeGreaterThan(0);
    expect(await (await fetch(`${gateway.httpUrl}/metrics`)).text()).toContain('tas_mcp_events_total');
  });
});
