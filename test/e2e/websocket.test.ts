// The WebSocket endpoint with a real WebSocket client (`ws`) against a real gateway process:
// JSON text frames in the HTTP API's shape with positions, filters and replay, events sent on the
// socket answered as POST /api/v1/events answers them, credentials from a browser's places
// (subprotocol, query), tenancy, MAX_CONNECTIONS, a slow client that catches up, close codes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_CLOSE } from '../../gateway/ingress/http/websocket-routes.js';
import { SecretDir, randomKey } from '../support/secrets.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { eventually, metric, produce, testEvent } from './support/traffic.js';

interface Frame {
  event_id: string;
  event_type: string;
  data: string;
  metadata: Record<string, string>;
  position: number;
  status?: string;
}

const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

/** Opens a socket and records every frame and how it closed. */
function connect(gateway: GatewayProcess, query = '', options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  const socket = new WebSocket(`ws://127.0.0.1:${gateway.ports.http}/api/v1/ws${query}`, options.protocols ?? [], { headers: options.headers });
  sockets.push(socket);
  const frames: Frame[] = [];
  const state: { closed?: { code: number; reason: string }; refused?: number; opened: Promise<void> } = {
    opened: new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) => {
        state.refused = response.statusCode;
        reject(new Error(`upgrade refused: ${response.statusCode}`));
      });
      socket.once('error', reject);
    }),
  };
  state.opened.catch(() => undefined);
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  socket.on('close', (code, reason) => (state.closed = { code, reason: reason.toString() }));
  return { socket, frames, state };
}

const until = (condition: () => boolean | Promise<boolean>, what: string, ms = 10_000) => eventually(condition, ms, what);

describe('WebSocket /api/v1/ws', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGateway({ env: { MAX_CONNECTIONS: '3', SUBSCRIBER_QUEUE_SIZE: '50' } });
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('streams events as JSON text frames with their log position, narrowed by event_types', async () => {
    const { frames, state } = connect(gateway, '?event_types=ws.doc.*,ws.exact');
    await state.opened;
    await until(async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'websocket' })) === 1, 'socket registered');
    await produce(gateway, ['ws-1'], { type: 'ws.doc.uploaded' });
    await produce(gateway, ['ws-2'], { type: 'ws.other' });
    await produce(gateway, ['ws-3'], { type: 'ws.exact' });
    await until(() => frames.length === 2, 'two frames');
    expect(frames.map((f) => f.event_id)).toEqual(['ws-1', 'ws-3']);
    expect(frames[0]).toMatchObject({ event_type: 'ws.doc.uploaded', source: 'e2e', data: JSON.stringify({ id: 'ws-1' }) });
    expect(frames[1]!.position).toBeGreaterThan(frames[0]!.position);
  });

  it('replays from start_timestamp and resumes after_position, like StreamEvents', async () => {
    const since = Date.now();
    await produce(gateway, ['rp-1', 'rp-2', 'rp-3'], { type: 'ws.replay' });
    const replay = connect(gateway, `?event_types=ws.replay&start_timestamp=${since}`);
    await until(() => replay.frames.length === 3, 'replay');
    expect(replay.frames.map((f) => f.event_id)).toEqual(['rp-1', 'rp-2', 'rp-3']);
    const resumed = connect(gateway, `?event_types=ws.replay&after_position=${replay.frames[0]!.position}`);
    await until(() => resumed.frames.length === 2, 'resume');
    expect(resumed.frames.map((f) => f.event_id)).toEqual(['rp-2', 'rp-3']);
  });

  it('ingests what the client sends, answers it like POST /api/v1/events, and sends it to others, not back', async () => {
    const sender = connect(gateway, '?event_types=ws.sent');
    const other = connect(gateway, '?event_types=ws.sent');
    await Promise.all([sender.state.opened, other.state.opened]);
    await until(async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'websocket' })) === 2, 'both registered');
    sender.socket.send(JSON.stringify(testEvent('sent-1', 'ws.sent')));
    sender.socket.send(JSON.stringify({ event_id: 'sent-bad', event_type: 'ws.sent', data: '{}' }));
    sender.socket.send('{not json');
    sender.socket.send(JSON.stringify(testEvent('sent-1', 'ws.sent')));
    await until(() => sender.frames.length === 4, 'four replies');
    expect(sender.frames).toEqual([
      { event_id: 'sent-1', status: 'accepted' },
      expect.objectContaining({ event_id: 'sent-bad', status: 'rejected', error: 'invalid', field: 'source' }),
      expect.objectContaining({ status: 'rejected', error: 'invalid_json' }),
      { event_id: 'sent-1', status: 'duplicate' },
    ]);
    await until(() => other.frames.length === 1, 'the other socket gets it');
    expect(other.frames[0]).toMatchObject({ event_id: 'sent-1', event_type: 'ws.sent' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sender.frames.filter((f) => f.status === undefined)).toEqual([]); // no echo of its own event
  });

  it('refuses a stream over MAX_CONNECTIONS with 1013, and a bad parameter with 1008 naming it', async () => {
    const bad = connect(gateway, '?event_types=doc*.x');
    await until(() => bad.state.closed !== undefined, 'closed');
    expect(bad.state.closed).toMatchObject({ code: WS_CLOSE.invalidArgument, reason: expect.stringContaining('event_types') });
    const badNumber = connect(gateway, '?after_position=-4');
    await until(() => badNumber.state.closed !== undefined, 'closed');
    expect(badNumber.state.closed).toMatchObject({ code: WS_CLOSE.invalidArgument, reason: expect.stringContaining('after_position') });

    const open = [connect(gateway), connect(gateway), connect(gateway)];
    await Promise.all(open.map((o) => o.state.opened));
    const extra = connect(gateway);
    await until(() => extra.state.closed !== undefined, 'refused');
    expect(extra.state.closed).toMatchObject({ code: WS_CLOSE.tryAgainLater, reason: expect.stringContaining('MAX_CONNECTIONS') });
  });

  it('a client that stops reading falls behind, is not cut off, and gets everything once it reads again', async () => {
    const slow = connect(gateway, '?event_types=ws.slow');
    await slow.state.opened;
    await until(async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'websocket' })) >= 1, 'registered');
    slow.socket.pause();
    // ~20 MB: more than the socket buffers between the two hold, so the gateway sees the client stop.
    const ids = Array.from({ length: 2000 }, (_, i) => `slow-${i}`);
    const blob = 'x'.repeat(10_000);
    for (let i = 0; i < ids.length; i += 100) {
      const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ids.slice(i, i + 100).map((id) => ({ ...testEvent(id, 'ws.slow'), data: JSON.stringify({ blob }) }))),
      });
      expect(response.status).toBe(200);
    }
    await until(async () => (await metric(gateway, 'tas_mcp_subscribers_fell_behind_total', { kind: 'websocket' })) >= 1, 'fell behind');
    slow.socket.resume();
    await until(() => slow.frames.length === ids.length, 'all frames', 30_000);
    expect(slow.frames.map((f) => f.event_id)).toEqual(ids);
    expect(slow.state.closed).toBeUndefined();
  });
});

describe('WebSocket credentials', () => {
  const secrets = new SecretDir();
  const key = randomKey();
  const tenantKey = randomKey();
  let gateway: GatewayProcess;
  beforeAll(async () => {
    const keysFile = secrets.write('keys', `${key}\n${tenantKey} tenant=tenant-t\n`);
    gateway = await startGateway({ env: { AUTH_MODE: 'apiKey', AUTH_API_KEYS_FILE: keysFile } });
  });
  afterAll(async () => {
    await gateway?.stop();
    secrets.remove();
  });

  it('refuses the upgrade without credentials (401), takes them as a bearer subprotocol or an access_token, and answers with its subprotocol', async () => {
    const none = connect(gateway);
    await expect(none.state.opened).rejects.toThrow();
    expect(none.state.refused).toBe(401);
    const viaProtocol = connect(gateway, '', { protocols: ['tas-mcp.v1', `bearer.${key}`] });
    await viaProtocol.state.opened;
    expect(viaProtocol.socket.protocol).toBe('tas-mcp.v1');
    const viaQuery = connect(gateway, `?access_token=${encodeURIComponent(key)}`);
    await viaQuery.state.opened;
    const viaHeader = connect(gateway, '', { headers: { 'x-api-key': key } });
    await viaHeader.state.opened;
  });

  it("a tenant-bound client sees only its tenant's events, and may send only its own", async () => {
    const tenant = connect(gateway, '?event_types=ws.tenancy', { protocols: ['tas-mcp.v1', `bearer.${tenantKey}`] });
    await tenant.state.opened;
    await until(async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'websocket' })) >= 1, 'registered');
    for (const [id, tenantId] of [
      ['t-other', 'tenant-o'],
      ['t-mine', 'tenant-t'],
    ] as const) {
      const response = await fetch(`${gateway.httpUrl}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify(testEvent(id, 'ws.tenancy', { metadata: { tenant_id: tenantId } })),
      });
      expect(response.ok).toBe(true);
    }
    await until(() => tenant.frames.length === 1, 'one frame');
    expect(tenant.frames[0]!.event_id).toBe('t-mine');
    tenant.socket.send(JSON.stringify(testEvent('t-forged', 'ws.tenancy', { metadata: { tenant_id: 'tenant-o' } })));
    await until(() => tenant.frames.length === 2, 'reply');
    expect(tenant.frames[1]).toMatchObject({ status: 'rejected', error: 'tenant_mismatch' });
  });
});
