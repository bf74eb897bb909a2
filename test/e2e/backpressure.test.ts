// Backpressure with real clients: a subscriber that stops reading is cut off with
// RESOURCE_EXHAUSTED while a fast one receives everything; MAX_CONNECTIONS caps streams across
// connections; a full buffer answers 429 with Retry-After; the rate limit does too.
import * as grpc from '@grpc/grpc-js';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient, unary, waitFor } from './support/grpc-clients.js';
import { eventually, metric, streamsOpen } from './support/traffic.js';

let gateway: GatewayProcess | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  if (gateway) expect(await gateway.stop()).toBe(0);
  gateway = undefined;
});

function client(address: string) {
  const created = mcpClient(address);
  clients.push(created);
  return created;
}

const metricValue = async (name: string) => {
  const text = await (await fetch(`${gateway!.healthUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return Number(match?.[1] ?? NaN);
};

describe('a slow subscriber', () => {
  it('is cut off with RESOURCE_EXHAUSTED while a fast one keeps receiving everything', async () => {
    gateway = await startGateway({ env: { SUBSCRIBER_QUEUE_SIZE: '200', BUFFER_SIZE: '10000', HISTORY_SIZE: '0' } });
    const total = 1500;
    const fast = client(gateway.grpcAddress).StreamEvents({ follow: true, start_timestamp: 0 });
    const slow = client(gateway.grpcAddress).StreamEvents({ follow: true, start_timestamp: 0 });
    const fastIds: string[] = [];
    fast.on('data', (e: { event_id: string }) => fastIds.push(e.event_id));
    fast.on('error', () => {});
    let slowStatus: grpc.ServiceError | undefined;
    let slowReceived = 0;
    slow.on('data', () => slowReceived++);
    slow.on('error', (e: grpc.ServiceError) => (slowStatus = e));
    slow.pause(); // stops reading: HTTP/2 flow control fills, then the gateway's queue for it
    await streamsOpen(gateway, 2);

    const data = JSON.stringify({ blob: 'x'.repeat(8 * 1024) });
    const producer = client(gateway.grpcAddress);
    for (let i = 0; i < total; i += 50) {
      // Paced by the fast subscriber: it keeps up by definition, the slow one does not read.
      await waitFor(fastIds, (all) => all.length >= i, 10_000);
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          unary(producer, 'IngestEvent', { event_id: `bp-${i + j}`, event_type: 'load.test', source: 'bp', data, metadata: {} }),
        ),
      );
    }
    await waitFor(fastIds, (all) => all.length === total, 20_000);
    // Every event exactly once (concurrent unary calls may arrive in any order).
    expect(new Set(fastIds).size).toBe(total);
    expect([...fastIds].sort()).toEqual(Array.from({ length: total }, (_, i) => `bp-${i}`).sort());

    slow.resume(); // reads what was in flight, then the status
    await waitFor([0], () => slowStatus !== undefined, 10_000);
    expect(slowStatus!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(slowStatus!.details).toMatch(/fell behind/);
    expect(slowReceived).toBeLessThan(total);
    expect(await metricValue('tas_mcp_subscribers_cut_off_total\\{kind="stream_events"\\}')).toBe(1);
  });
});

describe('MAX_CONNECTIONS', () => {
  it('caps concurrent streams across connections; a freed slot can be reused', async () => {
    gateway = await startGateway({ env: { MAX_CONNECTIONS: '2' } });
    const open = (c: Record<string, any>) => {
      const stream = c.StreamEvents({ follow: true, start_timestamp: Date.now() });
      const state: { error?: grpc.ServiceError; stream: grpc.ClientReadableStream<unknown> } = { stream };
      stream.on('data', () => {});
      stream.on('error', (e: grpc.ServiceError) => (state.error = e));
      return state;
    };
    const first = open(client(gateway.grpcAddress));
    const second = open(client(gateway.grpcAddress));
    await streamsOpen(gateway, 2);
    const third = open(client(gateway.grpcAddress));
    await waitFor([0], () => third.error !== undefined);
    expect(third.error!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(third.error!.details).toMatch(/MAX_CONNECTIONS/);
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();

    first.stream.cancel();
    await eventually(async () => (await metric(gateway!, 'tas_mcp_active_connections', { type: 'grpc_stream' })) === 1, 10_000, 'slot freed');
    const fourth = open(client(gateway.grpcAddress));
    await streamsOpen(gateway, 2);
    expect(fourth.error).toBeUndefined();
    const metrics = await (await fetch(`${gateway.healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/tas_mcp_active_connections\{type="grpc_stream"\} 2/);
    expect(metrics).toMatch(/tas_mcp_streams_refused_total\{reason="max_connections"\} 1/);
    second.stream.cancel();
    fourth.stream.cancel();
  });
});

/** Pipelined requests arrive in one read and are handled before the next dispatch turn, so a
 * one-slot buffer is full for every request after the first. Answers the raw responses. */
function pipelinedBurst(target: GatewayProcess, count: number): Promise<string> {
  const request = (id: number) => {
    const body = JSON.stringify({ event_id: `p-${id}`, event_type: 't', source: 's', data: '{}' });
    return `POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  return new Promise<string>((resolve, reject) => {
    const pipelined = Array.from({ length: count }, (_, i) => request(i)).join('');
    // Kept open until every answer is in: a half-closed socket would end the requests still waiting.
    const socket = connect(target.ports.http, '127.0.0.1', () => socket.write(pipelined));
    let text = '';
    const answered = () => [...text.matchAll(/HTTP\/1\.1 \d{3}[\s\S]*?\r\n\r\n\{[^}]*\}/g)].length;
    socket.on('data', (d) => {
      text += d.toString();
      if (answered() === count) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('a full buffer with the default ADMISSION_WAIT', () => {
  it('slows a burst instead of refusing it: every request waits its turn and is accepted', async () => {
    gateway = await startGateway({ env: { BUFFER_SIZE: '1' } });
    const answer = await pipelinedBurst(gateway, 8);
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(Array(8).fill('200'));
    expect(await metric(gateway, 'tas_mcp_events_total')).toBe(8);
    expect(await metric(gateway, 'tas_mcp_events_rejected_total')).toBe(0);
  });
});

describe('429 with Retry-After', () => {
  it('when the ingest buffer is full and ADMISSION_WAIT is 0', async () => {
    gateway = await startGateway({ env: { BUFFER_SIZE: '1', ADMISSION_WAIT: '0' } });
    const answer = await pipelinedBurst(gateway, 8);
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toHaveLength(8);
    expect(statuses[0]).toBe('200');
    expect(statuses.filter((s) => s === '429').length).toBeGreaterThan(0);
    expect(answer).toMatch(/retry-after: 1/i);
    expect(answer).toContain('BUFFER_SIZE');
  });

  it('when the rate limit is exceeded; RESOURCE_EXHAUSTED over gRPC', async () => {
    gateway = await startGateway({ env: { RATE_LIMIT_EVENTS_PER_SECOND: '1', RATE_LIMIT_BURST: '2' } });
    const post = () =>
      fetch(`${gateway!.httpUrl}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: `r-${Math.random()}`, event_type: 't', source: 's', data: '{}' }),
      });
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: string }).error).toBe('rate_limited');

    const error = (await unary(client(gateway.grpcAddress), 'IngestEvent', {
      event_id: 'g',
      event_type: 't',
      source: 's',
      data: '{}',
    }).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.metadata.get('retry-after')).toHaveLength(1);
  });
});
