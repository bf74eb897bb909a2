// Forwarding as a user sets it up, with real gateway processes and real peers of every kind: our
// gateways over HTTP and gRPC (batched, answered per event), receivers without a batch route, the
// Go reference server's HTTP API, a seed-000 receiver that reads only {id, data}, and a gRPC peer
// without IngestEventBatch. Also: one target reached as a peer and through a route, a target that
// keeps failing, and the forwarding API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { startSingleEventGrpcPeer, type SingleEventGrpcPeer } from './support/grpc-peer.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { startReferencePeer, type ReferencePeer } from './support/reference-peer.js';
import { deadLetters, eventually, metric, produce, testEvent } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-forwarding-'));
const gateways: GatewayProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function gateway(env: Record<string, string> = {}, config?: object): Promise<GatewayProcess> {
  const file = config ? join(dir, `config-${gateways.length}-${Date.now()}.yaml`) : undefined;
  if (file) writeFileSync(file, stringify(config));
  const started = await startGateway({
    env: {
      FORWARD_INITIAL_BACKOFF: '10ms',
      FORWARD_MAX_BACKOFF: '100ms',
      BUFFER_SIZE: '20000',
      MAX_BATCH_SIZE: '1000',
      ...(file ? { CONFIG_FILE: file } : {}),
      ...env,
    },
  });
  gateways.push(started);
  return started;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  closers.push(() => started.close());
  return started;
}

async function referencePeer(options?: { legacyOnly?: boolean }): Promise<ReferencePeer> {
  const started = await startReferencePeer(options);
  closers.push(() => started.close());
  return started;
}

async function singleEventGrpcPeer(options?: { batch?: boolean }): Promise<SingleEventGrpcPeer> {
  const started = await startSingleEventGrpcPeer(options);
  closers.push(() => started.close());
  return started;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const settled = (g: GatewayProcess) => eventually(async () => (await metric(g, 'tas_mcp_forward_in_flight')) === 0, 30_000, 'forwarding settles');

async function invariantHolds(g: GatewayProcess) {
  const [accepted, delivered, dead, inFlight] = await Promise.all([
    metric(g, 'tas_mcp_forward_events_total', { outcome: 'accepted' }),
    metric(g, 'tas_mcp_forward_events_total', { outcome: 'delivered' }),
    metric(g, 'tas_mcp_forward_events_total', { outcome: 'dead_lettered' }),
    metric(g, 'tas_mcp_forward_in_flight'),
  ]);
  expect(accepted).toBe(delivered + dead + inFlight);
}

const json = async (url: string, init?: RequestInit) => {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as any };
};

describe("a bare peer address (http://host:port) is another gateway's API", () => {
  it('batches go to POST /api/v1/events/batch, many events per request', async () => {
    const peer = await receiver();
    const a = await gateway({ FORWARD_TO: peer.url, FORWARD_CONCURRENCY: '2' });
    const sent = await produce(a, ids('batched', 3000), { batch: 1000 });
    await settled(a);
    expect(new Set(peer.delivered)).toEqual(new Set(sent));
    expect(peer.requests.every((r) => r.path === '/api/v1/events/batch')).toBe(true);
    expect(peer.requests.length).toBeLessThan(300);
    expect(Math.max(...peer.requests.map((r) => r.events))).toBeGreaterThan(10);
    expect(await metric(a, 'tas_mcp_forward_batch_events_count')).toBe(peer.requests.length);
    await invariantHolds(a);
  });

  it('a receiver without the batch route (404) gets single events at /api/v1/events, remembered for the target', async () => {
    const peer = await receiver(undefined, 0, { batchRoute: false });
    const a = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(a, ids('single', 500));
    await settled(a);
    expect(new Set(peer.delivered)).toEqual(new Set(sent));
    // Batches were tried only by the requests already out (FORWARD_CONCURRENCY) when the first 404 came back.
    const batchTries = peer.requests.filter((r) => r.path === '/api/v1/events/batch').length;
    expect(batchTries).toBeGreaterThanOrEqual(1);
    expect(batchTries).toBeLessThanOrEqual(16);
    expect(peer.requests.filter((r) => r.path === '/api/v1/events')).toHaveLength(500);
    const target = (await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body[`127.0.0.1:${peer.url.split(':')[2]}`];
    expect(target).toMatchObject({ mode: 'single', type: 'http', status: 'healthy' });
    expect(await deadLetters(a)).toEqual([]);
  });

  it("the Go reference server's API: every event arrives whole through its batch route, none at its legacy /mcp", async () => {
    const peer = await referencePeer();
    const a = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(a, ids('goref', 400), { type: 'document.uploaded' });
    await settled(a);
    expect(new Set(peer.stored.map((s) => s.id))).toEqual(new Set(sent));
    expect(peer.stored.every((s) => s.type === 'document.uploaded' && s.via === '/api/v1/events/batch')).toBe(true);
    expect(peer.requests.filter((r) => r.path === '/mcp')).toEqual([]);
    expect(await deadLetters(a)).toEqual([]);
  });

  it('a receiver that speaks only the legacy /mcp shape: with format legacy it gets {id, data}; at a bare address each event is dead-lettered naming the 404', async () => {
    const legacy = await referencePeer({ legacyOnly: true });
    const other = await referencePeer({ legacyOnly: true });
    const a = await gateway(
      { FORWARD_MAX_ATTEMPTS: '2', FORWARD_BREAKER_THRESHOLD: '1000' },
      { forwarding: { targets: [{ url: legacy.url, format: 'legacy' }, other.url] } },
    );
    const sent = await produce(a, ids('legacy', 50));
    await settled(a);
    expect(legacy.stored.map((s) => s.id).sort()).toEqual([...sent].sort());
    expect(legacy.requests.every((r) => r.path === '/mcp' && r.status === 200)).toBe(true);
    const letters = await deadLetters(a);
    expect(letters).toHaveLength(50);
    expect(letters.every((l) => l.target === other.url.replace('http://', '') && l.reason === 'attempts_exhausted' && l.lastStatus === '404')).toBe(
      true,
    );
    await invariantHolds(a);
  });
});

describe("a peer that sends no Content-Type (the Go reference server's forwarder)", () => {
  it('has its events taken, and forwarded on like any other', async () => {
    const downstream = await receiver();
    const a = await gateway({ FORWARD_TO: downstream.url });
    for (const id of ids('go-sent', 5)) {
      // As the reference's forwardHTTP posts: the event's JSON, no Content-Type header at all.
      const status = await new Promise<number>((resolve, reject) => {
        const body = JSON.stringify(testEvent(id, 'document.uploaded'));
        const request = httpRequest(
          `${a.httpUrl}/api/v1/events`,
          { method: 'POST', headers: { 'content-length': String(Buffer.byteLength(body)) } },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end(body);
      });
      expect(status).toBe(200);
    }
    await settled(a);
    expect(downstream.delivered.sort()).toEqual(ids('go-sent', 5).sort());
  });
});

describe('per-event answers from a peer gateway', () => {
  it('one event too large for the receiver is dead-lettered alone; the rest of its batch is delivered once', async () => {
    const b = await gateway({ MAX_EVENT_SIZE: '1024' });
    const a = await gateway({ FORWARD_TO: b.httpUrl });
    const big = testEvent('big-1', 'load.test', { data: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    const small = ids('small', 40).map((id) => testEvent(id));
    const response = await fetch(`${a.httpUrl}/api/v1/events/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([...small.slice(0, 20), big, ...small.slice(20)]),
    });
    expect(response.status).toBe(200);
    await settled(a);
    const letters = await deadLetters(a);
    expect(letters.map((l) => [l.event.event_id, l.reason, l.attempts, l.lastStatus])).toEqual([['big-1', 'rejected', 1, '413']]);
    expect(await metric(b, 'tas_mcp_events_total', { status: 'success' })).toBe(40);
    expect(await metric(b, 'tas_mcp_events_duplicate_total')).toBe(0);
    await invariantHolds(a);
  });
});

describe('gRPC peers', () => {
  it('get batches over one IngestEventBatchStream per connection', async () => {
    const b = await gateway();
    const a = await gateway({ FORWARD_TO: `grpc://${b.grpcAddress}` });
    const sent = await produce(a, ids('grpc', 3000), { batch: 1000 });
    await settled(a);
    await eventually(async () => (await metric(b, 'tas_mcp_events_total', { status: 'success' })) === sent.length, 10_000, 'all at B');
    const requests = await metric(a, 'tas_mcp_forward_batch_events_count');
    expect(requests).toBeLessThan(300);
    const target = (await json(`${a.httpUrl}/api/v1/forwarding/targets/${encodeURIComponent(b.grpcAddress)}`)).body;
    expect(target).toMatchObject({ type: 'grpc', mode: 'grpc-stream', counts: { delivered: 3000, dead_lettered: 0, in_flight: 0 } });
  });

  it('a peer without IngestEventBatchStream (UNIMPLEMENTED) gets an IngestEventBatch call per batch, remembered', async () => {
    const peer = await singleEventGrpcPeer({ batch: true });
    const a = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(a, ids('grpc-unary-batch', 2000), { batch: 500 });
    await settled(a);
    expect(new Set(peer.received)).toEqual(new Set(sent));
    expect(peer.batchCalls).toBeGreaterThan(0);
    expect(peer.batchCalls).toBeLessThan(sent.length / 2);
    const [target] = Object.values((await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body) as any[];
    expect(target).toMatchObject({ mode: 'grpc-batch', counts: { delivered: 2000, dead_lettered: 0 } });
  });

  it('a peer without IngestEventBatch (UNIMPLEMENTED) gets IngestEvent per event, remembered', async () => {
    const peer = await singleEventGrpcPeer();
    const a = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(a, ids('grpc-single', 300));
    await settled(a);
    expect(new Set(peer.received)).toEqual(new Set(sent));
    const [target] = Object.values((await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body) as any[];
    expect(target).toMatchObject({ mode: 'grpc-single', counts: { delivered: 300 } });
    expect(await deadLetters(a)).toEqual([]);
  });
});

describe('a target reached as a peer and through a route', () => {
  it('gets each event once, under the stricter policy, and it is counted once', async () => {
    const b = await gateway();
    const target = { url: b.httpUrl, id: 'team-b/beta' };
    const a = await gateway(
      {},
      {
        forwarding: { targets: [target], retry: { maxAttempts: 2 } },
        routes: [{ name: 'team-a/documents', match: { eventTypes: ['document.*'] }, targets: [target], delivery: { retry: { maxAttempts: 7 } } }],
      },
    );
    const docs = await produce(a, ids('doc', 200), { type: 'document.uploaded' });
    const others = await produce(a, ids('other', 100), { type: 'user.created' });
    await settled(a);
    await eventually(
      async () => (await metric(b, 'tas_mcp_events_total', { status: 'success' })) === docs.length + others.length,
      10_000,
      'all at B',
    );
    expect(await metric(b, 'tas_mcp_events_duplicate_total')).toBe(0);
    expect(await metric(a, 'tas_mcp_forward_events_total', { outcome: 'accepted' })).toBe(300);
    const view = (await json(`${a.httpUrl}/api/v1/forwarding/targets/${encodeURIComponent('team-b/beta')}`)).body;
    expect(view).toMatchObject({
      routes: ['peers', 'route/team-a/documents'],
      policy: { max_attempts: 7 },
      counts: { accepted: 300, delivered: 300 },
    });
  });
});

describe('a target that keeps failing', () => {
  it("reaches the dead-letter queue within its policy's bound although its circuit is open", async () => {
    const peer = await receiver(() => ({ status: 503 }));
    // Bound: 20 attempts of up to 200 ms, up to 100 ms apart = 5.9 s; the cooldown would hold them a minute.
    const a = await gateway({
      FORWARD_TO: peer.url,
      FORWARD_CONCURRENCY: '2',
      FORWARD_MAX_ATTEMPTS: '20',
      FORWARD_TIMEOUT: '200ms',
      FORWARD_BREAKER_THRESHOLD: '3',
      FORWARD_BREAKER_COOLDOWN: '60s',
    });
    const started = Date.now();
    await produce(a, ids('down', 1000));
    await settled(a);
    const took = Date.now() - started;
    expect(took).toBeLessThan(5900 + 2000);
    const letters = await deadLetters(a);
    expect(letters).toHaveLength(1000);
    expect(letters.every((l) => l.reason === 'expired')).toBe(true);
    expect((letters[0] as any).lastError).toMatch(/not delivered within 5900 ms.*circuit is open/);
    expect(peer.requests.length).toBeLessThanOrEqual(5);
    const view = Object.values((await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body)[0] as any;
    expect(view).toMatchObject({ status: 'unhealthy', circuit: 'open', counts: { dead_lettered: 1000 } });
    await invariantHolds(a);
  });
});

describe('a target that falls behind (memory log)', () => {
  const batchOf = (prefix: string, n: number) => JSON.stringify(ids(prefix, n).map((id) => testEvent(id)));
  const post = (g: GatewayProcess, body: string) =>
    fetch(`${g.httpUrl}/api/v1/events/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as any,
    }));

  it('slows ingest to its pace: requests wait for room, nothing is dead-lettered as queue_full, every event is delivered once', async () => {
    const peer = await receiver(() => ({ status: 200, delayMs: 50 }));
    // A queue of 40 events for 400 sent at once: without the wait, 360 would be dead-lettered.
    const a = await gateway({ FORWARD_TO: peer.url, FORWARD_QUEUE_SIZE: '40', FORWARD_CONCURRENCY: '1', ADMISSION_WAIT: '20s' });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(a, batchOf(`slow-${i}`, 40))));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    await settled(a);
    await eventually(() => peer.delivered.length >= 400, 10_000, 'the receiver has all 400');
    expect(peer.delivered).toHaveLength(400);
    expect(new Set(peer.delivered).size).toBe(400);
    // Each request carried what the queue held: at most 40 events, so at least 10 requests.
    expect(Math.max(...peer.requests.map((r) => r.events))).toBeLessThanOrEqual(40);
    expect(await deadLetters(a)).toEqual([]);
    expect(await metric(a, 'tas_mcp_events_rejected_total', { reason: 'buffer_full' })).toBe(0);
    await invariantHolds(a);
  });

  it('refuses with 429 naming the target once the wait is over, and delivers everything it accepted', async () => {
    const peer = await receiver(() => ({ status: 200, delayMs: 1500 }));
    const a = await gateway({ FORWARD_TO: peer.url, FORWARD_QUEUE_SIZE: '40', FORWARD_CONCURRENCY: '1', ADMISSION_WAIT: '300ms' });
    const answers = await Promise.all(Array.from({ length: 3 }, (_, i) => post(a, batchOf(`late-${i}`, 40))));
    const accepted = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.body.message).toMatch(/forwarding to 127\.0\.0\.1:\d+ is behind: it holds \d+ events of the 40 it may \(FORWARD_QUEUE_SIZE\)/);
    await settled(a);
    await eventually(() => peer.delivered.length >= 40 * accepted.length, 10_000, 'the receiver has every accepted event');
    expect(peer.delivered).toHaveLength(40 * accepted.length);
    expect(await deadLetters(a)).toEqual([]);
    await invariantHolds(a);
  });

  it('refuses a batch larger than the whole queue, saying so, and takes smaller ones', async () => {
    const peer = await receiver();
    const a = await gateway({ FORWARD_TO: peer.url, FORWARD_QUEUE_SIZE: '40', ADMISSION_WAIT: '100ms' });
    const tooBig = await post(a, batchOf('big', 50));
    expect(tooBig.status).toBe(429);
    expect(tooBig.body.message).toMatch(
      /50 events at once are more than forwarding to 127\.0\.0\.1:\d+ may hold \(FORWARD_QUEUE_SIZE 40\); send smaller batches/,
    );
    expect((await post(a, batchOf('fits', 40))).status).toBe(200);
    await eventually(() => peer.delivered.length === 40, 10_000, 'the batch that fits is delivered');
    expect(await deadLetters(a)).toEqual([]);
  });
});

describe('the forwarding API', () => {
  it("lists targets and metrics in the reference's shapes, and changes targets of a standalone gateway", async () => {
    const b = await gateway();
    const c = await receiver();
    const a = await gateway({ FORWARD_TO: b.httpUrl });
    await produce(a, ids('api', 10));
    await settled(a);
    const bId = b.httpUrl.replace('http://', '');
    const listed = (await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body;
    expect(Object.keys(listed)).toEqual([bId]);
    expect(listed[bId]).toMatchObject({
      id: bId,
      type: 'http',
      endpoint: b.httpUrl,
      status: 'healthy',
      error_count: 0,
      config: { timeout: 30_000 * 1e6, retry_attempts: 4 },
      metrics: { events_sent: 10, events_failed: 0, uptime_percentage: 100 },
      circuit: 'closed',
      mode: 'batch',
      queue: { held: 0, capacity: 10_000 },
    });
    const metrics = (await json(`${a.httpUrl}/api/v1/forwarding/metrics`)).body;
    expect(metrics).toMatchObject({
      total_events: 10,
      forwarded_events: 10,
      failed_events: 0,
      dropped_events: 0,
      target_metrics: { [bId]: { events_sent: 10 } },
    });

    const post = (body: unknown) =>
      json(`${a.httpUrl}/api/v1/forwarding/targets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(await post({ id: 'docs-to-c', url: c.url, match: { eventTypes: ['document.*'] }, delivery: { retry: { maxAttempts: 3 } } })).toEqual({
      status: 201,
      body: { status: 'created', target_id: 'docs-to-c' },
    });
    expect((await post({ id: 'docs-to-c', url: c.url })).status).toBe(409);
    expect(await post({ id: 'bad', url: 'ftp://x' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_target', message: expect.stringMatching(/^body\.url: expected an http/) },
    });
    await produce(a, ids('doc', 5), { type: 'document.uploaded' });
    await produce(a, ids('user', 5), { type: 'user.created' });
    await settled(a);
    expect(c.delivered.sort()).toEqual(ids('doc', 5).sort());
    expect((await json(`${a.httpUrl}/api/v1/forwarding/targets/docs-to-c`)).body).toMatchObject({
      endpoint: c.url,
      routes: ['route/docs-to-c'],
      policy: { max_attempts: 3 },
    });

    const put = await json(`${a.httpUrl}/api/v1/forwarding/targets/docs-to-c`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: c.url, match: { eventTypes: ['user.*'] } }),
    });
    expect(put).toEqual({ status: 200, body: { status: 'updated', target_id: 'docs-to-c' } });
    await produce(a, ids('user2', 3), { type: 'user.created' });
    await settled(a);
    expect(c.delivered.filter((id) => id.startsWith('user2'))).toHaveLength(3);

    // The Go reference server's target shape: its rules become the match, its retries and timeout the policy.
    const reference = await post({
      id: 'orders',
      name: 'orders to c',
      type: 'http',
      endpoint: `${c.url}/orders`,
      config: { timeout: 5_000_000_000, retry_attempts: 2, retry_delay: 100_000_000 },
      rules: [{ id: 'r1', name: 'orders', enabled: true, conditions: [{ field: 'event_type', operator: 'eq', value: 'order.placed' }] }],
    });
    expect(reference).toEqual({ status: 201, body: { status: 'created', target_id: 'orders' } });
    expect((await json(`${a.httpUrl}/api/v1/forwarding/targets/orders`)).body).toMatchObject({
      endpoint: `${c.url}/orders`,
      mode: 'single',
      rules: [{ id: 'route/orders', conditions: [{ field: 'event_type', operator: 'in', value: ['order.placed'] }] }],
      policy: { timeout_ms: 5000, max_attempts: 3, initial_backoff_ms: 100 },
    });
    await produce(a, ids('order', 4), { type: 'order.placed' });
    await settled(a);
    expect(
      c.received
        .filter((r) => r.path === '/orders')
        .map((r) => r.id)
        .sort(),
    ).toEqual(ids('order', 4).sort());
    expect(await post({ id: 'k', name: 'k', type: 'kafka', endpoint: 'kafka:9092' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_target', message: expect.stringMatching(/^body\.type: kafka targets are not supported/) },
    });

    expect(await json(`${a.httpUrl}/api/v1/forwarding/targets/${encodeURIComponent(bId)}`, { method: 'DELETE' })).toEqual({
      status: 200,
      body: { status: 'deleted', target_id: bId },
    });
    expect((await json(`${a.httpUrl}/api/v1/forwarding/targets/${encodeURIComponent(bId)}`)).status).toBe(404);
    expect((await json(`${a.httpUrl}/api/v1/forwarding/targets/nothing`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses changes with 409 when the targets come from a config file', async () => {
    const b = await gateway();
    const a = await gateway({}, { forwarding: { targets: [b.httpUrl] } });
    const answer = await json(`${a.httpUrl}/api/v1/forwarding/targets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'x', url: b.httpUrl }),
    });
    expect(answer).toMatchObject({
      status: 409,
      body: {
        error: 'targets_from_config',
        message: expect.stringMatching(/come from its config file .*cannot be changed over the API.*spec\.peers/),
      },
    });
    expect(
      (await json(`${a.httpUrl}/api/v1/forwarding/targets/${encodeURIComponent(b.httpUrl.replace('http://', ''))}`, { method: 'DELETE' })).status,
    ).toBe(409);
    expect(Object.keys((await json(`${a.httpUrl}/api/v1/forwarding/targets`)).body)).toHaveLength(1);
  });
});
