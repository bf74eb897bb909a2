// gRPC against a real gateway process with real grpc-js clients: IngestEvent, StreamEvents
// (replay, filters, follow), EventStream (no echoes), the legacy stream, health and metrics.
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { McpEvent } from '../../src/event/index.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { collect, healthClient, legacyClient, mcpClient, unary, waitFor } from './support/grpc-clients.js';
import { streamsOpen } from './support/traffic.js';

/** What StreamEvents and EventStream send: mcp.v1.Event, as the gateway's event model. */
type WireEvent = McpEvent;

let gateway: GatewayProcess;
const clients: grpc.Client[] = [];

function client() {
  const created = mcpClient(gateway.grpcAddress);
  clients.push(created);
  return created;
}

let spawnedAt = 0;
beforeAll(async () => {
  spawnedAt = Date.now();
  gateway = await startGateway({ env: { HISTORY_SIZE: '1000' } });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  expect(await gateway.stop()).toBe(0);
});

const ingest = (id: string, type: string, timestamp = 0) =>
  unary<{ event_id: string; success: boolean; status: string; timestamp: number }>(client(), 'IngestEvent', {
    event_id: id,
    event_type: type,
    source: 'grpc-test',
    timestamp,
    data: JSON.stringify({ n: id }),
    metadata: { tenant_id: 'tenant-a' },
  });

describe('IngestEvent', () => {
  it('accepts a valid event with the seed status value', async () => {
    const response = await ingest('g-accepted', 'document.uploaded');
    expect(response).toMatchObject({ event_id: 'g-accepted', success: true, status: 'accepted' });
    expect(response.timestamp).toBeGreaterThan(1_700_000_000_000);
  });

  it('INVALID_ARGUMENT names the field for a bad event, with status "rejected" in trailers', async () => {
    const error = (await unary(client(), 'IngestEvent', { event_id: 'bad', event_type: 'x', source: 's', data: 'nope' }).catch(
      (e: grpc.ServiceError) => e,
    )) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^data: must be JSON text/);
    expect(error.metadata.get('x-mcp-status')).toEqual(['rejected']);
    expect(error.metadata.get('x-mcp-field')).toEqual(['data']);
  });

  it('INVALID_ARGUMENT for a missing event_type', async () => {
    const error = (await unary(client(), 'IngestEvent', { event_id: 'e', source: 's', data: '{}' }).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('event_type');
  });
});

describe('StreamEvents', () => {
  it('replays history from start_timestamp with exact and prefix filters, then ends without follow', async () => {
    const base = 1_900_000_000_000;
    await ingest('r-1', 'replay.document.uploaded', base + 1);
    await ingest('r-2', 'replay.user.created', base + 2);
    await ingest('r-3', 'replay.document.processed', base + 3);
    await ingest('r-old', 'replay.document.uploaded', base - 10);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const prefix = await collect<WireEvent>(client().StreamEvents({ event_types: ['replay.document.*'], start_timestamp: base, follow: false }));
    expect(prefix.status.code).toBe(grpc.status.OK);
    expect(prefix.messages.map((e) => e.event_id)).toEqual(['r-1', 'r-3']);

    const exact = await collect<WireEvent>(
      client().StreamEvents({ event_types: ['replay.user.created', 'replay.document.processed'], start_timestamp: base, follow: false }),
    );
    expect(exact.messages.map((e) => e.event_id)).toEqual(['r-2', 'r-3']);
    expect(exact.messages[0]).toMatchObject({ source: 'grpc-test', timestamp: base + 2, metadata: { tenant_id: 'tenant-a' } });
  });

  it('follows live events after the replay, without gaps or duplicates', async () => {
    const start = 1_950_000_000_000;
    await ingest('f-1', 'follow.a', start);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stream = client().StreamEvents({ event_types: ['follow.*'], start_timestamp: start, follow: true });
    const received: WireEvent[] = [];
    stream.on('data', (e: WireEvent) => received.push(e));
    stream.on('error', () => {});
    await waitFor(received, (all) => all.length === 1);
    for (let i = 2; i <= 20; i++) await ingest(`f-${i}`, i % 2 ? 'follow.b' : 'other.c', start + i);
    await waitFor(received, (all) => all.length === 10);
    expect(received.map((e) => e.event_id)).toEqual(['f-1', ...Array.from({ length: 9 }, (_, i) => `f-${2 * i + 3}`)]);
    stream.cancel();
  });

  it('INVALID_ARGUMENT for a glob not at the end', async () => {
    const result = await collect(client().StreamEvents({ event_types: ['doc*.x'], follow: true }));
    expect(result.status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(result.status.details).toContain('event_types');
  });
});

describe('EventStream', () => {
  it('ingests what a client sends and gives it the events of others, never its own', async () => {
    const alice = client().EventStream();
    const bob = client().EventStream();
    const toAlice: WireEvent[] = [];
    const toBob: WireEvent[] = [];
    alice.on('data', (e: WireEvent) => toAlice.push(e));
    bob.on('data', (e: WireEvent) => toBob.push(e));
    alice.on('error', () => {});
    bob.on('error', () => {});
    await streamsOpen(gateway, 2);

    const send = (stream: grpc.ClientDuplexStream<unknown, unknown>, id: string) =>
      stream.write({ event_id: id, event_type: 'chat.message', source: id.split('-')[0], data: '{}', metadata: {} });
    send(alice, 'alice-1');
    send(bob, 'bob-1');
    send(alice, 'alice-2');
    await ingest('unary-1', 'chat.message');

    await waitFor(toAlice, (all) => all.length >= 2);
    await waitFor(toBob, (all) => all.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(toAlice.map((e) => e.event_id).sort()).toEqual(['bob-1', 'unary-1']);
    expect(toBob.map((e) => e.event_id).sort()).toEqual(['alice-1', 'alice-2', 'unary-1']);
    alice.cancel();
    bob.cancel();
  });

  it('ends the stream with INVALID_ARGUMENT naming the event when a bad one is sent', async () => {
    const stream = client().EventStream();
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.on('data', () => {});
    stream.write({ event_id: 'broken-1', event_type: 'chat.message', source: 's', data: '{oops', metadata: {} });
    const error = await ended;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toContain('broken-1');
    expect(error.details).toContain('data');
  });
});

describe('legacy mcp.Eventing/EventStream (seed 000)', () => {
  it('maps legacy events onto the full model and sends others in the legacy shape', async () => {
    const legacy = legacyClient(gateway.grpcAddress);
    clients.push(legacy);
    const modern = client().StreamEvents({ event_types: ['legacy.*'], start_timestamp: Date.now(), follow: true });
    const seenByModern: WireEvent[] = [];
    modern.on('data', (e: WireEvent) => seenByModern.push(e));
    modern.on('error', () => {});

    const stream = legacy.EventStream();
    const seenByLegacy: { id: string; data: string }[] = [];
    stream.on('data', (e: { id: string; data: string }) => seenByLegacy.push(e));
    stream.on('error', () => {});
    await streamsOpen(gateway, 2);

    stream.write({ id: 'old-1', data: JSON.stringify({ type: 'legacy.context_update', source: 'agent-7', payload: {} }) });
    stream.write({ id: 'old-2', data: '{"agent":"assistant"}' });
    await ingest('new-1', 'legacy.from_modern');

    await waitFor(seenByModern, (all) => all.length === 3);
    const byId = Object.fromEntries(seenByModern.map((e) => [e.event_id, e]));
    expect(byId['old-1']).toMatchObject({ event_type: 'legacy.context_update', source: 'agent-7' });
    // The Go reference server's values for a legacy event whose data names no type or source.
    expect(byId['old-2']).toMatchObject({ event_type: 'legacy.event', source: 'legacy-api', data: '{"agent":"assistant"}' });

    await waitFor(seenByLegacy, (all) => all.some((e) => e.id === 'new-1'));
    expect(seenByLegacy.map((e) => e.id)).toEqual(['new-1']);
    expect(JSON.parse(seenByLegacy[0]!.data)).toEqual({ n: 'new-1' });
    stream.cancel();
    modern.cancel();
  });
});

describe('health, metrics, reflection', () => {
  it('GetHealth reports real uptime (milliseconds, like the Go reference) and details', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const seconds = ((await (await fetch(`${gateway.healthUrl}/health`)).json()) as { uptime: number }).uptime;
    const health = await unary<{ healthy: boolean; status: string; details: Record<string, string>; uptime: number }>(client(), 'GetHealth', {});
    expect(health).toMatchObject({ healthy: true, status: 'healthy' });
    expect(health.details).toMatchObject({ grpc_server: 'running', http_server: 'running', event_queue: 'healthy' });
    // Milliseconds since this gateway process started: at least /health's whole seconds, not more than we have waited since spawning it.
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(health.uptime).toBeGreaterThanOrEqual(seconds * 1000);
    expect(health.uptime).toBeLessThanOrEqual(Date.now() - spawnedAt);
  });

  it('GetMetrics counts events, errors and open streams', async () => {
    const stream = client().StreamEvents({ start_timestamp: Date.now(), follow: true });
    stream.on('error', () => {});
    stream.on('data', () => {});
    await streamsOpen(gateway, 1);
    const metrics = await unary<Record<string, number>>(client(), 'GetMetrics', {});
    expect(metrics.total_events).toBeGreaterThanOrEqual(10);
    expect(metrics.error_events).toBeGreaterThanOrEqual(2);
    expect(metrics.active_streams).toBeGreaterThanOrEqual(1);
    expect(metrics.stream_events).toBeGreaterThan(0);
    stream.cancel();
  });

  it('grpc.health.v1.Health answers SERVING for the gateway and its services', async () => {
    const health = healthClient(gateway.grpcAddress);
    clients.push(health);
    for (const service of ['', 'mcp.v1.MCPService', 'mcp.Eventing']) {
      expect(await unary<{ status: string }>(health, 'Check', { service })).toEqual({ status: 'SERVING' });
    }
  });

  it('server reflection lists the services (grpcurl list works)', async () => {
    const { default: protoLoader } = await import('@grpc/proto-loader');
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const reflectionProto = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
    const definition = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const loaded = grpc.loadPackageDefinition(definition) as any;
    const reflection = new loaded.grpc.reflection.v1.ServerReflection(gateway.grpcAddress, grpc.credentials.createInsecure());
    clients.push(reflection);
    const call = reflection.ServerReflectionInfo();
    const answer = await new Promise<any>((resolve, reject) => {
      call.on('data', resolve);
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    call.end();
    const names = answer.list_services_response.service.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['mcp.v1.MCPService', 'mcp.Eventing', 'grpc.health.v1.Health']));
  });
});
