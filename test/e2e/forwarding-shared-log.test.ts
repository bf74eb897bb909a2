// Forwarding on the shared log (JetStream, real nats-server): one durable consumer per target,
// whichever routes (and the peer list) lead there, shared by the replicas; and the upgrade from
// the consumers of before (one per route and target), which the new one takes over from where
// they left off.
import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { consumerName, legacyConsumerName } from '../../gateway/forwarding/forwarder.js';
import { startNats, type NatsServers } from '../harness/nats.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, metric, produce } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-forward-js-'));
const STREAM = 'mcp_team-a_alpha';
let nats: NatsServers | undefined;
let nc: NatsConnection | undefined;
const gateways: GatewayProcess[] = [];
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await nc?.close();
  nc = undefined;
  await nats?.stop();
  nats = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function replica(config: object = {}): Promise<GatewayProcess> {
  const file = join(dir, `config-${Date.now()}-${gateways.length}.yaml`);
  writeFileSync(file, stringify(config));
  const started = await startGateway({
    env: { BUS: 'jetstream', NATS_URL: nats!.urls.join(','), GATEWAY_ID: 'team-a/alpha', CONFIG_FILE: file, BUFFER_SIZE: '5000' },
  });
  gateways.push(started);
  return started;
}

async function manager(): Promise<JetStreamManager> {
  nc ??= await connect(nats!.connectOptions());
  return jetstreamManager(nc);
}

async function forwardingConsumers(): Promise<string[]> {
  const names: string[] = [];
  for await (const info of (await manager()).consumers.list(STREAM)) if (info.name.startsWith('fwd-')) names.push(info.name);
  return names.sort();
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('forwarding on the shared log', () => {
  it('a target reached as a peer and through a route has one consumer; two replicas send each event to it once', async () => {
    nats = await startNats();
    const peer = await startReceiver();
    receivers.push(peer);
    const target = { url: peer.url, id: 'team-b/beta' };
    const config = {
      forwarding: { targets: [target] },
      routes: [{ name: 'team-a/documents', match: { eventTypes: ['document.*'] }, targets: [target] }],
    };
    const [a, b] = [await replica(config), await replica(config)];
    const sent = [
      ...(await produce(a, ids('doc-a', 300), { type: 'document.uploaded' })),
      ...(await produce(b, ids('doc-b', 300), { type: 'document.uploaded' })),
    ];
    await eventually(() => new Set(peer.delivered).size === sent.length, 30_000, 'every event at the peer');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(peer.delivered).toHaveLength(sent.length); // none twice
    expect(await forwardingConsumers()).toEqual([consumerName({ url: peer.url, format: 'mcp' })]);
    const accepted =
      (await metric(a, 'tas_mcp_forward_events_total', { outcome: 'accepted' })) +
      (await metric(b, 'tas_mcp_forward_events_total', { outcome: 'accepted' }));
    expect(accepted).toBe(sent.length);
  });

  it('on upgrade, the per-route consumers of before are taken over where they left off, then removed', async () => {
    nats = await startNats();
    const peer = await startReceiver();
    receivers.push(peer);
    const target = { url: peer.url, id: peer.url.replace('http://', '') };
    // The stream with 100 events, and the consumer the peer had before (one per route and target),
    // which had settled the first 40.
    const before = await replica();
    const sent = await produce(before, ids('old', 100));
    await before.stop();
    gateways.splice(0);
    const jsm = await manager();
    const legacy = legacyConsumerName('peers', target);
    await jsm.consumers.add(STREAM, { durable_name: legacy, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1 });
    const consumer = await jsm.jetstream().consumers.get(STREAM, legacy);
    const taken = await consumer.fetch({ max_messages: 40, expires: 5_000 });
    let acked = 0;
    for await (const message of taken) {
      message.ack();
      if (++acked === 40) break;
    }
    await eventually(async () => (await jsm.consumers.info(STREAM, legacy)).ack_floor.stream_seq === 40, 5_000, 'the first 40 settled');

    await replica({ forwarding: { targets: [target] } });
    await eventually(() => peer.delivered.length >= 60, 20_000, 'the 60 left delivered');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(peer.delivered.sort()).toEqual(sent.slice(40).sort());
    expect(await forwardingConsumers()).toEqual([consumerName({ url: peer.url, format: 'mcp' })]);
  });
});
