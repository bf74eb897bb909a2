// Signed federation on real sockets: gateways sign what they forward (HMAC-SHA256 over the
// documented canonical form, key id in mcpkid); a receiver that requires signatures takes signed
// events from its peers even with client auth on, and refuses unsigned, tampered and unknown-key
// events with 401 / UNAUTHENTICATED, counting each; keys rotate by key id without a restart.
import { createHmac } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { signEvent } from '../../src/event/index.js';
import { reservePorts, startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient, metadataOf, unaryWith } from './support/grpc-clients.js';
import { SecretDir, randomKey } from '../support/secrets.js';
import { deadLetters, eventually, metric, testEvent } from './support/traffic.js';

const secrets = new SecretDir();
const running: GatewayProcess[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((g) => g.stop()));
});
afterAll(() => secrets.remove());

const secret1 = 'k1-' + 'a'.repeat(40);
const secret2 = 'k2-' + 'b'.repeat(40);
const apiKey = randomKey();

async function post(gateway: GatewayProcess, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.httpUrl}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string } };
}

/** A receiver that requires signatures and client API keys, and a sender forwarding to it. */
async function pair(senderKeyId: string, transport: 'http' | 'grpc' = 'http') {
  const receiverKeys = secrets.write('receiver-keys', `k1=${secret1}\nk2=${secret2}\n`);
  const senderKeys = secrets.write(`sender-keys-${senderKeyId}`, `k1=${secret1}\nk2=${secret2}\n`);
  const receiverPorts = await reservePorts();
  const receiver = await startGateway({
    ports: receiverPorts,
    env: {
      GATEWAY_ID: 'receiver',
      AUTH_MODE: 'apiKey',
      AUTH_API_KEYS_FILE: secrets.write('api-keys', `${apiKey}\n`),
      AUTH_RELOAD_INTERVAL: '100ms',
      FEDERATION_KEYS_FILE: receiverKeys,
      FEDERATION_REQUIRE_SIGNATURES: 'true',
    },
  });
  const sender = await startGateway({
    env: {
      GATEWAY_ID: `sender-${senderKeyId}`,
      FORWARD_TO: transport === 'grpc' ? `grpc://127.0.0.1:${receiverPorts.grpc}` : `http://127.0.0.1:${receiverPorts.http}`,
      FORWARD_INITIAL_BACKOFF: '20ms',
      FEDERATION_KEYS_FILE: senderKeys,
      FEDERATION_SIGNING_KEY_ID: senderKeyId,
    },
  });
  running.push(receiver, sender);
  return { receiver, sender };
}

const forwarded = (id: string) =>
  testEvent(id, 'fed.test', { timestamp: 1_900_000_000_000, metadata: { mcphops: '1', mcppath: 'sender-k1', tenant_id: 't' } });

describe('signed federation', () => {
  it('the canonical form is the documented JSON array, HMAC-SHA256 in base64url', () => {
    const event = {
      event_id: 'e',
      event_type: 't',
      source: 's',
      timestamp: 5,
      data: '{"a":1}',
      metadata: { z: '1', a: '2', mcpsig: 'x', mcpkid: 'k1' },
    };
    const canonical = JSON.stringify([
      'e',
      't',
      's',
      5,
      '{"a":1}',
      [
        ['a', '2'],
        ['z', '1'],
      ],
    ]);
    const expected = createHmac('sha256', secret1).update(canonical).digest('base64url');
    expect(signEvent(event, 'k1', Buffer.from(secret1)).metadata).toMatchObject({ mcpkid: 'k1', mcpsig: expected });
  });

  it('forwarded events are signed and accepted by a peer that requires signatures and client credentials', async () => {
    const { receiver, sender } = await pair('k1');
    const ids = Array.from({ length: 20 }, (_, i) => `signed-${i}`);
    for (const id of ids) expect((await post(sender, testEvent(id))).status).toBe(200);
    await eventually(async () => (await metric(receiver, 'tas_mcp_events_total', { status: 'success' })) === 20, 10_000, 'all forwarded');
    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'valid' })).toBe(20);
    expect(await deadLetters(sender)).toEqual([]);
  });

  it('over gRPC, the signatures admit the batches on IngestEventBatchStream (no client credentials)', async () => {
    const { receiver, sender } = await pair('k2', 'grpc');
    const ids = Array.from({ length: 20 }, (_, i) => `signed-grpc-${i}`);
    for (const id of ids) expect((await post(sender, testEvent(id))).status).toBe(200);
    await eventually(async () => (await metric(receiver, 'tas_mcp_events_total', { status: 'success' })) === 20, 10_000, 'all forwarded');
    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'valid' })).toBe(20);
    expect(await deadLetters(sender)).toEqual([]);
    const targets = (await (await fetch(`${sender.httpUrl}/api/v1/forwarding/targets`)).json()) as Record<string, { mode: string }>;
    expect(Object.values(targets).map((t) => t.mode)).toEqual(['grpc-stream']);
  });

  it('refuses unsigned, tampered and unknown-key events over HTTP and gRPC with 401 / UNAUTHENTICATED, and counts them', async () => {
    const { receiver } = await pair('k1');
    const auth = { 'x-api-key': apiKey };
    const unsigned = await post(receiver, forwarded('u-1'), auth);
    expect(unsigned).toMatchObject({ status: 401, body: { error: 'unsigned' } });

    const signed = signEvent({ ...forwarded('t-1'), timestamp: 1_900_000_000_000 } as never, 'k1', Buffer.from(secret1));
    const tampered = { ...signed, data: JSON.stringify({ id: 'changed' }) };
    expect(await post(receiver, tampered, auth)).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    const pathRewritten = { ...signed, metadata: { ...signed.metadata, mcppath: 'someone-else' } };
    expect(await post(receiver, pathRewritten, auth)).toMatchObject({ status: 401, body: { error: 'bad_signature' } });
    const unknownKey = signEvent(forwarded('k-1') as never, 'k9', Buffer.from('z'.repeat(40)));
    expect(await post(receiver, unknownKey, auth)).toMatchObject({ status: 401, body: { error: 'unknown_key_id' } });
    // The genuine event goes through, even presented as a peer without client credentials.
    expect((await post(receiver, signed, { 'x-mcp-signed': 'k1' })).status).toBe(200);
    // Claiming to be a peer does not admit an unsigned event, nor a subscription.
    expect(await post(receiver, testEvent('plain'), { 'x-mcp-signed': 'k1' })).toMatchObject({ status: 401, body: { error: 'unsigned' } });

    const client = mcpClient(receiver.grpcAddress);
    clients.push(client);
    const asPeer = metadataOf({ 'x-mcp-signed': 'k1' });
    const error = (await unaryWith(client, 'IngestEvent', tampered, asPeer).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toContain('signature');
    const streamError = await new Promise<grpc.ServiceError>((resolve) => client.StreamEvents({ follow: true }, asPeer).on('error', resolve));
    expect(streamError.code).toBe(grpc.status.UNAUTHENTICATED);

    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'unsigned' })).toBe(2);
    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'bad_signature' })).toBe(3);
    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'unknown_key_id' })).toBe(1);
  });

  it("rotates by key id: a key removed from the receiver's file stops being accepted, without a restart", async () => {
    const { receiver, sender } = await pair('k1');
    expect((await post(sender, testEvent('rot-1'))).status).toBe(200);
    await eventually(async () => (await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'valid' })) === 1, 10_000, 'k1 accepted');

    secrets.write('receiver-keys', `k2=${secret2}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await post(sender, testEvent('rot-2'))).status).toBe(200);
    // Refused with 401: a 4xx is not retried; the sender dead-letters it with the status.
    await eventually(
      async () => (await deadLetters(sender)).some((l) => l.event.event_id === 'rot-2' && l.lastStatus === '401'),
      10_000,
      'dead-lettered',
    );
    expect(await metric(receiver, 'tas_mcp_federation_signatures_total', { outcome: 'unknown_key_id' })).toBe(1);
  });
});
