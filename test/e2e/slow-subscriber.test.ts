// The memory log keeps a slow subscriber whole: Argo's generic EventSource client taking 5 ms per
// event (as a user found it cut off after 416 of 3,000) reads what it fell behind on from the
// log's ring at its own pace, and gets every event, in order, without being cut off.
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { argoGenericClient, waitFor } from './support/grpc-clients.js';
import { metric, produce, streamsOpen } from './support/traffic.js';

let gateway: GatewayProcess | undefined;
let client: grpc.Client | undefined;

afterEach(async () => {
  client?.close();
  await gateway?.stop();
});

describe('a slow subscriber on the memory log', () => {
  it('at 5 ms per event receives all 3,000 of a burst, in order, reading the ring when it falls behind', { timeout: 90_000 }, async () => {
    gateway = await startGateway({ env: { SUBSCRIBER_QUEUE_SIZE: '100' } });
    const argo = argoGenericClient(gateway.grpcAddress);
    client = argo;
    const received: string[] = [];
    let status: grpc.ServiceError | undefined;
    const stream = argo.StartEventSource({ name: 'slow', config: Buffer.from('eventTypes: ["load.*"]') }) as grpc.ClientReadableStream<{
      payload: Buffer;
    }>;
    stream.on('data', (event: { payload: Buffer }) => {
      received.push((JSON.parse(event.payload.toString()) as { event_id: string }).event_id);
      // A slow consumer: 5 ms of work per event, during which it reads nothing.
      stream.pause();
      setTimeout(() => stream.resume(), 5);
    });
    stream.on('error', (error: grpc.ServiceError) => (status = error));
    await streamsOpen(gateway, 1);
    const ids = Array.from({ length: 3000 }, (_, i) => `slow-${i}`);
    await produce(gateway, ids, { batch: 100 });
    await waitFor(received, (got) => got.length >= ids.length, 80_000);
    expect(received).toEqual(ids);
    expect(status).toBeUndefined();
    expect(await metric(gateway, 'tas_mcp_subscribers_cut_off_total')).toBe(0);
    expect(await metric(gateway, 'tas_mcp_subscribers_fell_behind_total')).toBeGreaterThan(0);
  });
});
