// The Go reference server's HTTP API, as a superset, against a real gateway process: bodies
// without Content-Type, 200 answers, the reference's /health and /ready fields, 405 with Allow,
// /api/v1/metrics and /api/v1/stats, legacy event values, timestamps in seconds, CORS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpEvent } from '../../src/event/index.js';
import { collect, mcpClient } from './support/grpc-clients.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { rawExchange } from './support/raw-http.js';
import { metric } from './support/traffic.js';

let gateway: GatewayProcess;
let cors: GatewayProcess | undefined;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  expect(await gateway.stop()).toBe(0);
  await cors?.stop();
});

const event = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  event_type: 'ref.test',
  source: 'ref',
  data: '{"n":1}',
  ...extra,
});

/** A POST with no Content-Type header at all, as the Go reference's forwarder sends it. */
function untyped(path: string, body: string) {
  return rawExchange(gateway.ports.http, { path, body });
}

/** Every event of the log at or after `since` (ms), read back over StreamEvents. */
async function replay(since: number): Promise<McpEvent[]> {
  const client = mcpClient(gateway.grpcAddress);
  try {
    const { messages } = await collect<McpEvent>(client.StreamEvents({ start_timestamp: since, follow: false }));
    return messages;
  } finally {
    client.close();
  }
}

describe('bodies without a Content-Type', () => {
  it('are taken when they parse as JSON, on every ingest route', async () => {
    for (const [path, body] of [
      ['/mcp', JSON.stringify({ id: 'untyped-legacy', data: '{}' })],
      ['/api/v1/events', JSON.stringify(event('untyped-1'))],
      ['/api/v1/events/batch', JSON.stringify([event('untyped-2')])],
    ] as const) {
      const answer = await untyped(path, body);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
      expect(answer.text).toContain('"accepted"');
    }
  });

  it('are 400 when they are not JSON, saying no Content-Type was sent', async () => {
    const answer = await untyped('/api/v1/events', 'id=1&data=2');
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('no Content-Type was sent');
  });

  it('a declared non-JSON type stays 415, and is counted as a rejected event', async () => {
    const before = await metric(gateway, 'tas_mcp_events_rejected_total', { method: 'http', reason: 'unsupported_media_type' });
    const answer = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify(event('typed')),
    });
    expect(answer.status).toBe(415);
    expect(await metric(gateway, 'tas_mcp_events_rejected_total', { method: 'http', reason: 'unsupported_media_type' })).toBe(before + 1);
  });
});

describe('answers', () => {
  it('POST /api/v1/events is 200 with the reference fields', async () => {
    const answer = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('ok-1')),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ event_id: 'ok-1', status: 'accepted' });
  });

  it('GET /mcp (and other methods on ingest paths) is 405 with Allow: POST', async () => {
    for (const [method, path] of [
      ['GET', '/mcp'],
      ['HEAD', '/mcp'],
      ['PUT', '/api/v1/events'],
      ['DELETE', '/api/v1/events/batch'],
    ] as const) {
      const answer = await fetch(`${gateway.httpUrl}${path}`, { method });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.get('allow')).toBe('POST');
    }
  });

  it('/health carries the reference stats, /ready its status, beside ours', async () => {
    await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('stats-1')),
    });
    for (const base of [gateway.httpUrl, gateway.healthUrl]) {
      const health = (await (await fetch(`${base}/health`)).json()) as Record<string, any>;
      expect(health).toMatchObject({ status: 'healthy', details: expect.any(Object) });
      expect(health.stats).toEqual({
        total_events: expect.any(Number),
        stream_events: expect.any(Number),
        forwarded_events: 0,
        error_events: expect.any(Number),
        active_streams: 0,
        start_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(health.stats.total_events).toBeGreaterThanOrEqual(1);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', ready: true, phase: 'ready', log: { kind: 'memory' } });
    }
  });

  it('GET /api/v1/metrics and /api/v1/stats in the reference shapes, counting what happened', async () => {
    const metrics = (await (await fetch(`${gateway.httpUrl}/api/v1/metrics`)).json()) as Record<string, number>;
    expect(Object.keys(metrics).sort()).toEqual(['active_streams', 'error_events', 'forwarded_events', 'stream_events', 'total_events', 'uptime']);
    const stats = (await (await fetch(`${gateway.httpUrl}/api/v1/stats`)).json()) as Record<string, number | string>;
    expect(Object.keys(stats).sort()).toEqual(['active_streams', 'error_events', 'forwarded_events', 'start_time', 'stream_events', 'total_events']);
    const accepted = await metric(gateway, 'tas_mcp_events_total', { method: 'http', status: 'success' });
    expect(metrics.total_events).toBe(accepted);
    expect(stats.total_events).toBe(accepted);
    // Milliseconds since start, as the reference reports it; start_time is when that was.
    expect(Math.abs(Date.parse(stats.start_time as string) + metrics.uptime! - Date.now())).toBeLessThan(2000);
    expect(metrics.error_events).toBeGreaterThanOrEqual(2);
  });
});

describe('event values', () => {
  it("legacy events get the reference's event_type and source", async () => {
    const since = Date.now() - 1000;
    await fetch(`${gateway.httpUrl}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'legacy-values', data: '{"a":1}' }),
    });
    const stored = (await replay(since)).find((e) => e.event_id === 'legacy-values');
    expect(stored).toMatchObject({ event_type: 'legacy.event', source: 'legacy-api' });
  });

  it('a timestamp in seconds is stored in milliseconds, so a replay in milliseconds finds it', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('in-seconds', { timestamp: nowSeconds })),
    });
    await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event('in-millis', { timestamp: nowSeconds * 1000 + 5 })),
    });
    const found = await replay((nowSeconds - 60) * 1000);
    expect(found.find((e) => e.event_id === 'in-seconds')?.timestamp).toBe(nowSeconds * 1000);
    expect(found.find((e) => e.event_id === 'in-millis')?.timestamp).toBe(nowSeconds * 1000 + 5);
    // start_timestamp follows the same rule.
    expect((await replay(nowSeconds - 60)).map((e) => e.event_id)).toEqual(expect.arrayContaining(['in-seconds', 'in-millis']));
  });
});

describe('CORS', () => {
  it('is off by default: no CORS headers, no preflight', async () => {
    const answer = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.status).toBe(404);
  });

  it('CORS_ALLOWED_ORIGINS allows the listed origins only', async () => {
    cors = await startGateway({ env: { CORS_ALLOWED_ORIGINS: 'https://app.example' } });
    const preflight = await fetch(`${cors.httpUrl}/api/v1/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const post = await fetch(`${cors.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: JSON.stringify(event('cors-1')),
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await fetch(`${cors.httpUrl}/api/v1/stats`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a CORS origin that is not one is refused at start, naming the variable', async () => {
    const bad = await startGateway({ env: { CORS_ALLOWED_ORIGINS: 'app.example/path' }, waitReady: false });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('CORS_ALLOWED_ORIGINS');
  });
});
