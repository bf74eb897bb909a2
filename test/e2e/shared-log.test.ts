// Gateways on the shared log: real nats-server (one node, or a three-node JetStream cluster),
// real gateway processes, real clients. What a user of replicas is promised: every subscriber sees
// every event whichever replica it reached, nothing accepted is lost when a replica or a NATS node
// dies, and a subscriber that falls behind or reconnects continues where it was.
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startNats, type NatsServers } from '../harness/nats.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { argoGenericClient, mcpClient, waitFor } from './support/grpc-clients.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { deadLetters, eventually, metric, produce, streamsOpen, testEvent } from './support/traffic.js';

let nats: NatsServers | undefined;
const gateways: GatewayProcess[] = [];
const receivers: Receiver[] = [];
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(gateways.splice(0).map((g) => g.stop('SIGKILL')));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await nats?.stop();
  nats = undefined;
});

/** A replica of one McpServer: the same identity (so the same stream), on the shared log. */
async function replica(env: Record<string, string> = {}, ports?: GatewayProcess['ports']): Promise<GatewayProcess> {
  const gateway = await startGateway({
    env: {
      BUS: 'jetstream',
      NATS_URL: nats!.urls.join(','),
      GATEWAY_ID: 'team-a/alpha',
      NATS_STREAM_REPLICAS: String(nats!.nodes.length),
      ...env,
    },
    ...(ports ? { ports } : {}),
  });
  gateways.push(gateway);
  return gateway;
}

function client(gateway: GatewayProcess) {
  const created = mcpClient(gateway.grpcAddress);
  clients.push(created);
  return created;
}

interface Streamed {
  event_id: string;
  position: number;
}

/** A StreamEvents subscriber that records what it receives and how it ended. */
function subscribe(gateway: GatewayProcess, request: Record<string, unknown> = { follow: true, start_timestamp: Date.now() }) {
  const received: Streamed[] = [];
  const state: { error?: grpc.ServiceError; stream: grpc.ClientReadableStream<Streamed> } = {
    stream: client(gateway).StreamEvents(request),
    received,
  } as never;
  state.stream.on('data', (event: Streamed) => received.push(event));
  state.stream.on('error', (error: grpc.ServiceError) => (state.error = error));
  return { received, state };
}

const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

async function post(gateway: GatewayProcess, id: string): Promise<Response> {
  return fetch(`${gateway.httpUrl}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(testEvent(id)),
  });
}

describe('replicas on one stream', () => {
  it('three replicas over a three-node cluster: a subscriber on each receives every event posted to any of them, exactly once', async () => {
    nats = await startNats({ nodes: 3 });
    const replicas = [await replica(), await replica(), await replica()];
    const subscribers = replicas.map((gateway) => subscribe(gateway));
    await Promise.all(replicas.map((gateway) => streamsOpen(gateway, 1)));
    const all = ids('fan', 600);
    // Round robin over the replicas, as a Service would spread them.
    await Promise.all(
      replicas.map((gateway, r) =>
        produce(
          gateway,
          all.filter((_, i) => i % 3 === r),
          { batch: 20 },
        ),
      ),
    );
    for (const { received } of subscribers) {
      await waitFor(received, (got) => got.length >= all.length, 30_000);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // a duplicate would arrive by now
    for (const { received } of subscribers) {
      expect(received).toHaveLength(all.length);
      expect(new Set(received.map((e) => e.event_id))).toEqual(new Set(all));
      // In log order, the same order on every replica.
      expect(received.map((e) => e.position)).toEqual([...received.map((e) => e.position)].sort((a, b) => a - b));
    }
    expect(subscribers[1]!.received.map((e) => e.event_id)).toEqual(subscribers[0]!.received.map((e) => e.event_id));
  });

  it('a repeated event_id sent to another replica is answered duplicate and stored once', async () => {
    nats = await startNats();
    const [a, b] = [await replica(), await replica()];
    expect(await (await post(a, 'once')).json()).toMatchObject({ status: 'accepted' });
    expect(await (await post(b, 'once')).json()).toMatchObject({ status: 'duplicate' });
    const replayed = subscribe(b, { follow: false, start_timestamp: 0 });
    await eventually(() => replayed.state.stream.closed, 10_000, 'replay to end');
    expect(replayed.received.map((e) => e.event_id)).toEqual(['once']);
  });
});

describe('forwarding once per target across replicas', () => {
  it(
    'kill -9 one replica while 20,000 events flow to a slow peer: every accepted event reaches the peer or the dead-letter stream',
    { timeout: 180_000 },
    async () => {
      nats = await startNats();
      // A peer that takes at most ~3,000 events/s (8 requests of 20 events, 50 ms each), so a
      // backlog builds up behind it whatever the machine's speed.
      const peer = await startReceiver(() => ({ status: 200, delayMs: 50 }));
      receivers.push(peer);
      // A backlog this deep is what the test is about: the target may hold all of it (no queue_full).
      const env = {
        FORWARD_TO: peer.url,
        NATS_ACK_WAIT: '2s',
        FORWARD_CONCURRENCY: '8',
        FORWARD_BATCH_MAX_EVENTS: '20',
        BUFFER_SIZE: '5000',
        FORWARD_QUEUE_SIZE: '50000',
      };
      const [a, b] = [await replica(env), await replica(env)];
      const all = ids('kill', 20_000);
      const half = all.length / 2;
      const accepted: string[] = [];
      /** Batches of 100, each counted as accepted once answered 200; stops at the first failure (a dies). */
      const feed = async (gateway: GatewayProcess, batch: string[]) => {
        for (let i = 0; i < batch.length; i += 100) {
          const chunk = batch.slice(i, i + 100);
          const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(chunk.map((id) => testEvent(id))),
          }).catch(() => undefined);
          if (response?.status !== 200) return;
          accepted.push(...chunk);
        }
      };
      const producing = Promise.all([feed(a, all.slice(0, half)), feed(b, all.slice(half))]);
      await eventually(
        () => peer.delivered.length > 2000 && accepted.length - new Set(peer.delivered).size > 1000,
        30_000,
        'forwarding under way, over 1,000 accepted events behind',
      );
      a.child.kill('SIGKILL');
      // Killed with a forwarding backlog: events it held unacknowledged must be delivered by b.
      expect(new Set(peer.delivered).size).toBeLessThan(accepted.length);
      await producing;
      expect(accepted.filter((id) => Number(id.slice(5)) < half).length).toBeGreaterThan(0);
      await eventually(
        async () => {
          const delivered = new Set(peer.delivered);
          const lettered = new Set((await deadLetters(b, 1000)).map((l) => l.event.event_id));
          return accepted.every((id) => delivered.has(id) || lettered.has(id));
        },
        120_000,
        'every accepted event delivered or dead-lettered',
      );
      expect(await deadLetters(b)).toEqual([]);
      const duplicates = peer.delivered.length - new Set(peer.delivered).size;
      // Only what a held unacknowledged when it died can come twice (at most its share of held events).
      expect(duplicates).toBeLessThanOrEqual(1024);
      console.log(`kill -9 under load: accepted ${accepted.length}, delivered ${new Set(peer.delivered).size}, duplicates ${duplicates}`);
    },
  );

  it('dead letters are kept in the stream: listed and redriven from another replica after the first one is gone', async () => {
    nats = await startNats();
    let refuse = true;
    const peer = await startReceiver(() => (refuse ? { status: 400 } : { status: 200 }));
    receivers.push(peer);
    const env = { FORWARD_TO: peer.url };
    const a = await replica(env);
    await produce(a, ids('dlq', 5), { batch: 5 });
    await eventually(async () => (await deadLetters(a)).length === 5, 20_000, 'five dead letters');
    await a.stop('SIGKILL');
    const b = await replica(env);
    const letters = await deadLetters(b);
    expect(letters.map((l) => [l.event.event_id, l.reason, l.lastStatus])).toEqual(ids('dlq', 5).map((id) => [id, 'rejected', '400']));
    refuse = false;
    const redrive = await fetch(`${b.httpUrl}/api/v1/dlq/redrive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await redrive.json()).toMatchObject({ redriven: 5, unknown_target: 0 });
    await eventually(() => peer.delivered.length === 5, 10_000, 'redriven events delivered');
    await eventually(async () => (await deadLetters(b)).length === 0, 10_000, 'letters removed after redrive');
  });
});

describe('when NATS fails', () => {
  it('one node of three killed under load: ingest goes on and no accepted event is lost', async () => {
    nats = await startNats({ nodes: 3 });
    const gateway = await replica();
    const all = ids('node', 3000);
    const accepted: string[] = [];
    const producing = produce(gateway, all, { batch: 50 }).then((done) => accepted.push(...done));
    await eventually(() => accepted.length > 0 || false, 20_000).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await nats.killNode(1);
    await producing;
    expect(accepted).toHaveLength(all.length);
    const replayed = subscribe(gateway, { follow: false, start_timestamp: 0 });
    await eventually(() => replayed.state.stream.closed, 30_000, 'replay to end');
    expect(new Set(replayed.received.map((e) => e.event_id))).toEqual(new Set(all));
  });

  it('all nodes stopped: 503 with Retry-After and readiness false, nothing answered 2xx is lost; back: it recovers by itself', async () => {
    nats = await startNats({ nodes: 3 });
    const gateway = await replica();
    await produce(gateway, ids('before', 100), { batch: 50 });
    await nats.stopAll();
    await eventually(async () => (await fetch(`${gateway.healthUrl}/ready`)).status === 503, 20_000, 'readiness false');
    const refused = await post(gateway, 'during');
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { message: string }).message).toMatch(/event log/);
    expect(await metric(gateway, 'tas_mcp_log_connected', { kind: 'jetstream' })).toBe(0);
    await nats.startAll();
    await eventually(async () => (await fetch(`${gateway.healthUrl}/ready`)).status === 200, 60_000, 'readiness back');
    await produce(gateway, ids('after', 100), { batch: 50 });
    const replayed = subscribe(gateway, { follow: false, start_timestamp: 0 });
    await eventually(() => replayed.state.stream.closed, 30_000, 'replay to end');
    expect(new Set(replayed.received.map((e) => e.event_id))).toEqual(new Set([...ids('before', 100), ...ids('after', 100)]));
  });
});

describe('subscribers as cursors', () => {
  it('a paused subscriber that resumes reads everything it missed, and the gateway holds only its bounded queue meanwhile', async () => {
    nats = await startNats();
    const gateway = await replica({ SUBSCRIBER_QUEUE_SIZE: '100' });
    const slow = subscribe(gateway);
    slow.state.stream.pause();
    await streamsOpen(gateway, 1);
    const all = ids('paused', 5000);
    const data = 'x'.repeat(2000);
    for (let i = 0; i < all.length; i += 100) {
      const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(all.slice(i, i + 100).map((id) => ({ ...testEvent(id), data: JSON.stringify({ data }) }))),
      });
      expect(response.status).toBe(200);
    }
    await eventually(async () => (await metric(gateway, 'tas_mcp_subscribers_reading')) === 1, 10_000, 'subscriber reading the log');
    // Its queue and one page, whatever it missed: ~10 MB of events are in the log, not the gateway.
    expect(await metric(gateway, 'tas_mcp_subscriber_queue_events')).toBeLessThanOrEqual(100 + 256);
    slow.state.stream.resume();
    await waitFor(slow.received, (got) => got.length >= all.length, 60_000);
    expect(slow.received.map((e) => e.event_id)).toEqual(all);
    expect(slow.state.error).toBeUndefined();
    expect(await metric(gateway, 'tas_mcp_subscribers_cut_off_total')).toBe(0);
  });

  it('a restarted gateway replays events accepted before the restart, and a client resumes after the last position it saw', async () => {
    nats = await startNats();
    const first = await replica();
    await produce(first, ids('restart', 10), { batch: 10 });
    const seen = subscribe(first, { follow: false, start_timestamp: 0 });
    await eventually(() => seen.state.stream.closed, 10_000, 'replay');
    const lastSeen = seen.received[4]!.position;
    await first.stop();
    const second = await replica({}, first.ports);
    const replayed = subscribe(second, { follow: false, start_timestamp: 0 });
    await eventually(() => replayed.state.stream.closed, 10_000, 'replay after restart');
    expect(replayed.received.map((e) => e.event_id)).toEqual(ids('restart', 10));
    const resumed = subscribe(second, { follow: false, after_position: lastSeen });
    await eventually(() => resumed.state.stream.closed, 10_000, 'resume');
    expect(resumed.received.map((e) => e.event_id)).toEqual(ids('restart', 10).slice(5));
  });

  it("Argo's generic EventSource, dropped and reconnecting by name, continues without a gap (at least once)", async () => {
    nats = await startNats();
    const gateway = await replica();
    const argo = argoGenericClient(gateway.grpcAddress);
    clients.push(argo);
    const received: string[] = [];
    const open = () => {
      const stream = argo.StartEventSource({ name: 'my-eventsource', config: Buffer.from('eventTypes: ["load.*"]') });
      stream.on('data', (event: { payload: Buffer }) => received.push((JSON.parse(event.payload.toString()) as { event_id: string }).event_id));
      stream.on('error', () => {});
      return stream as grpc.ClientReadableStream<unknown>;
    };
    const first = open();
    await streamsOpen(gateway, 1);
    const all = ids('argo', 400);
    await produce(gateway, all.slice(0, 200), { batch: 50 });
    await waitFor(received, (got) => got.length >= 200, 10_000);
    first.cancel();
    await eventually(async () => (await metric(gateway, 'tas_mcp_active_connections', { type: 'grpc_stream' })) === 0, 10_000, 'stream closed');
    await produce(gateway, all.slice(200), { batch: 50 }); // while it is away
    open();
    await waitFor(received, (got) => new Set(got).size >= all.length, 15_000);
    expect(new Set(received)).toEqual(new Set(all));
    const duplicates = received.length - new Set(received).size;
    console.log(`argo reconnect: ${received.length} received, ${duplicates} again after the reconnect`);
  });
});
