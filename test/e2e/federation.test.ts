// Federation of real gateway processes on loopback: a chain and a full mesh deliver every event
// to every gateway's subscribers exactly once, and nothing circulates.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { reservePorts, startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient } from './support/grpc-clients.js';
import { eventually, metric, produce, streamsOpen } from './support/traffic.js';

const running: GatewayProcess[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

type Ports = Awaited<ReturnType<typeof reservePorts>>;
const idFor = (ports: Ports) => `127.0.0.1:${ports.http}`;
const urlFor = (ports: Ports) => `http://127.0.0.1:${ports.http}`;

/** Starts gateways whose FORWARD_TO is given by index into the same list. */
async function federation(peersOf: number[][]): Promise<GatewayProcess[]> {
  const ports = await Promise.all(peersOf.map(() => reservePorts()));
  const gateways = await Promise.all(
    peersOf.map((peers, i) =>
      startGateway({
        ports: ports[i],
        env: {
          GATEWAY_ID: idFor(ports[i]!),
          FORWARD_TO: peers.map((p) => urlFor(ports[p]!)).join(','),
          BUFFER_SIZE: '5000',
          FORWARD_INITIAL_BACKOFF: '20ms',
        },
      }),
    ),
  );
  running.push(...gateways);
  return gateways;
}

/** A live subscriber on a gateway, counting what it receives by id. */
function subscribe(gateway: GatewayProcess): Map<string, number> {
  const client = mcpClient(gateway.grpcAddress);
  clients.push(client);
  const counts = new Map<string, number>();
  const stream = client.StreamEvents({ follow: true, start_timestamp: Date.now() });
  stream.on('data', (e: { event_id: string }) => counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1));
  stream.on('error', () => {});
  return counts;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

function expectExactlyOnce(counts: Map<string, number>, expected: string[], where: string) {
  const missing = expected.filter((id) => !counts.has(id));
  const repeated = [...counts].filter(([, n]) => n > 1);
  expect({ where, missing: missing.length, repeated: repeated.length }).toEqual({ where, missing: 0, repeated: 0 });
}

describe('federation', () => {
  it('a chain A -> B -> C delivers every event to every subscriber exactly once', async () => {
    const [a, b, c] = await federation([[1], [2], []]);
    const seen = [a!, b!, c!].map(subscribe);
    for (const g of [a!, b!, c!]) await streamsOpen(g, 1);
    const sent = await produce(a!, ids('chain', 500));
    await eventually(() => seen.every((s) => s.size === sent.length), 20_000, 'all subscribers have every event');
    seen.forEach((s, i) => expectExactlyOnce(s, sent, `gateway ${i}`));
    expect(await metric(a!, 'tas_mcp_forward_events_total', { outcome: 'delivered' })).toBe(500);
    expect(await metric(b!, 'tas_mcp_forward_events_total', { outcome: 'delivered' })).toBe(500);
    expect(await metric(c!, 'tas_mcp_forward_events_total', { outcome: 'accepted' })).toBe(0);
  });

  it('a full mesh of three: every event everywhere exactly once, and forwarding stops', async () => {
    const gateways = await federation([
      [1, 2],
      [0, 2],
      [0, 1],
    ]);
    const seen = gateways.map(subscribe);
    for (const g of gateways) await streamsOpen(g, 1);
    const sent = (await Promise.all(gateways.map((g, i) => produce(g, ids(`mesh${i}`, 300))))).flat();
    await eventually(() => seen.every((s) => s.size === sent.length), 20_000, 'all subscribers have every event');
    seen.forEach((s, i) => expectExactlyOnce(s, sent, `gateway ${i}`));

    const forwarded = async () => {
      let total = 0;
      for (const g of gateways) total += await metric(g, 'tas_mcp_forward_events_total', { outcome: 'accepted' });
      return total;
    };
    await eventually(async () => {
      let inFlight = 0;
      for (const g of gateways) inFlight += await metric(g, 'tas_mcp_forward_in_flight');
      return inFlight === 0;
    });
    const settled = await forwarded();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await forwarded()).toBe(settled); // nothing circulates
    // The origin sends to 2 peers; each of them at most once more, to the one not on the path.
    expect(settled).toBeGreaterThanOrEqual(3 * sent.length);
    expect(settled).toBeLessThanOrEqual(4 * sent.length);
    let duplicates = 0;
    for (const g of gateways) duplicates += await metric(g, 'tas_mcp_events_duplicate_total', { method: 'http' });
    expect(duplicates).toBe(settled - 2 * sent.length);
  });
});
