// The ways Argo Events takes the gateway's events that need no cluster: Argo's generic
// EventSource protocol (generic.Eventing/StartEventSource) and CloudEvents to a webhook.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDefinition } from '../../gateway/wire/protos.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { waitFor } from './support/grpc-clients.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, metric, produce } from './support/traffic.js';

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as { generic: { Eventing: grpc.ServiceClientConstructor } };

let gateway: GatewayProcess;
let webhook: Receiver;
const clients: grpc.Client[] = [];

beforeAll(async () => {
  webhook = await startReceiver((_request, attempt) => ({ status: attempt === 1 ? 500 : 200 }));
  const routes = JSON.stringify([
    { name: 'to-argo', match: { eventTypes: ['argo.webhook.*'] }, targets: [{ url: `${webhook.url}/mcp-events`, format: 'cloudevents' }] },
  ]);
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'tas-mcp-argo-')), 'gateway.yaml');
  writeFileSync(file, `routes: ${routes}\nforwarding: { retry: { initialBackoff: 10ms, maxBackoff: 50ms }, circuitBreaker: { cooldown: 50ms } }\n`);
  gateway = await startGateway({ args: ['--config', file], env: { SUBSCRIBER_QUEUE_SIZE: '10000', BUFFER_SIZE: '10000', MAX_BATCH_SIZE: '500' } });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await gateway.stop();
  await webhook.close();
});

interface GenericEvent {
  name: string;
  payload: Buffer;
}

function startEventSource(name: string, config: string) {
  const client = new loaded.generic.Eventing(gateway.grpcAddress, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
  }) as grpc.Client & Record<string, any>;
  clients.push(client);
  const received: GenericEvent[] = [];
  const state: { error?: grpc.ServiceError } = {};
  const stream = client.StartEventSource({ name, config: Buffer.from(config) });
  stream.on('data', (e: GenericEvent) => received.push(e));
  stream.on('error', (e: grpc.ServiceError) => (state.error = e));
  return { received, state, stream };
}

describe("Argo's generic EventSource", () => {
  it('streams every event as JSON, named for the EventSource, narrowed by its config', async () => {
    const all = startEventSource('mcp-all', '');
    const docs = startEventSource('mcp-docs', 'eventTypes: ["argo.document.*"]');
    await eventually(
      async () => (await metric(gateway, 'tas_mcp_subscribers', { kind: 'argo_generic' })) === 2,
      10_000,
      'both EventSources connected',
    );
    const ids = Array.from({ length: 2000 }, (_, i) => `g-${i}`);
    await produce(gateway, ids.slice(0, 1000), { type: 'argo.document.uploaded', batch: 500 });
    await produce(gateway, ids.slice(1000), { type: 'argo.user.created', batch: 500 });
    await waitFor(all.received, (r) => r.length === 2000, 20_000);
    await waitFor(docs.received, (r) => r.length === 1000, 20_000);

    const first = all.received[0]!;
    expect(first.name).toBe('mcp-all');
    const body = JSON.parse(first.payload.toString()) as Record<string, unknown>;
    expect(body).toMatchObject({ event_id: 'g-0', event_type: 'argo.document.uploaded', source: 'e2e', data: { id: 'g-0' } });
    expect(typeof body.timestamp).toBe('number');
    expect(new Set(all.received.map((e) => (JSON.parse(e.payload.toString()) as { event_id: string }).event_id)).size).toBe(2000);
    expect(docs.received.every((e) => e.name === 'mcp-docs' && e.payload.toString().includes('argo.document.uploaded'))).toBe(true);
    all.stream.cancel();
    docs.stream.cancel();
  });

  it('refuses a config it cannot read with INVALID_ARGUMENT', async () => {
    const bad = startEventSource('bad', 'eventTypes: [1, 2]');
    await eventually(() => bad.state.error !== undefined, 5000, 'an error');
    expect(bad.state.error!.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.state.error!.details).toContain('eventTypes');
    const unknown = startEventSource('bad2', '{"types": ["x"]}');
    await eventually(() => unknown.state.error !== undefined, 5000, 'an error');
    expect(unknown.state.error!.details).toContain('unknown setting "types"');
  });
});

describe('CloudEvents to a webhook EventSource', () => {
  it('a webhook that answers 500 then 200 gets each event at least once, in binary mode', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `ce-${i}`);
    await produce(gateway, ids, { type: 'argo.webhook.test' });
    await eventually(() => new Set(webhook.delivered).size === 200, 20_000, 'every event delivered');
    const sample = webhook.received.find((r) => r.id === 'ce-7' && r.headers['ce-type'])!;
    expect(sample.path).toBe('/mcp-events');
    expect(sample.headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-type': 'argo.webhook.test',
      'ce-source': 'e2e',
      'content-type': 'application/json',
    });
    expect(JSON.parse(sample.body)).toEqual({ id: 'ce-7' });
    expect(webhook.received.length).toBeGreaterThanOrEqual(400); // each was refused once with 500
  });
});
