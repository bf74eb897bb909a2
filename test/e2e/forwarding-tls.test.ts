// Forwarding over TLS with certificates made by openssl: per target a CA bundle, a client
// certificate and key, and a server name, for https:// and for gRPC (grpcs://, or grpc:// with a
// tls block). The right CA passes; another CA fails and the events are dead-lettered with the
// reason; mutual TLS passes with the client certificate and fails without it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { issue, makeCa, type Pem } from './support/pki.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { deadLetters, eventually, metric, produce } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-forward-tls-'));
const file = (name: string) => join(dir, name);
let ca: Pem & { name: string };
const gateways: GatewayProcess[] = [];
const receivers: Receiver[] = [];

beforeAll(() => {
  ca = makeCa(dir, 'peers-ca');
  makeCa(dir, 'other-ca');
  issue(dir, ca, 'peer', 'server');
  issue(dir, ca, 'forwarder', 'client');
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway serving HTTPS and gRPC over TLS with the peer certificate; `mutual`: gRPC clients need a certificate from the CA. */
async function tlsPeer(mutual = false): Promise<GatewayProcess> {
  const started = await startGateway({
    env: { TLS_CERT_FILE: file('peer.crt'), TLS_KEY_FILE: file('peer.key'), ...(mutual ? { TLS_CLIENT_CA_FILE: file('peers-ca.crt') } : {}) },
  });
  gateways.push(started);
  return started;
}

/** A forwarding gateway whose targets come from a config file (TLS settings have no environment variables). */
async function forwarder(targets: object[]): Promise<GatewayProcess> {
  const config = file(`forwarder-${Date.now()}-${gateways.length}.yaml`);
  // The breaker out of the way: a failing target's single-event requests go out together, and an
  // open circuit would expire its events before their second attempt (these tests are about TLS).
  const forwarding = {
    targets,
    retry: { maxAttempts: 2, initialBackoff: '10ms', maxBackoff: '50ms' },
    timeout: '2s',
    circuitBreaker: { failureThreshold: 1000 },
  };
  writeFileSync(config, stringify({ forwarding }));
  const started = await startGateway({ env: { CONFIG_FILE: config, BUFFER_SIZE: '5000' } });
  gateways.push(started);
  return started;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const settled = (g: GatewayProcess) => eventually(async () => (await metric(g, 'tas_mcp_forward_in_flight')) === 0, 30_000, 'forwarding settles');
const acceptedAt = (g: GatewayProcess) => metric(g, 'tas_mcp_events_total', { status: 'success' });

describe('https:// targets', () => {
  it('the right CA passes; another CA, or a server name the certificate does not carry, fails and is dead-lettered naming the certificate', async () => {
    const peer = await tlsPeer();
    const url = `https://127.0.0.1:${peer.ports.http}`;
    const a = await forwarder([
      { url, id: 'right-ca', tls: { caFile: file('peers-ca.crt') } },
      { url: `https://localhost:${peer.ports.http}`, id: 'named', tls: { caFile: file('peers-ca.crt'), serverName: 'localhost' } },
      { url: `${url}/api/v1/events`, id: 'other-ca', tls: { caFile: file('other-ca.crt') } },
      { url: `${url}/mcp`, id: 'wrong-name', tls: { caFile: file('peers-ca.crt'), serverName: 'beta.example' } },
    ]);
    const sent = await produce(a, ids('https', 20));
    await settled(a);
    // right-ca and named each delivered every event once; the peer stored each once.
    expect(await metric(a, 'tas_mcp_forward_events_total', { target: 'right-ca', outcome: 'delivered' })).toBe(20);
    expect(await metric(a, 'tas_mcp_forward_events_total', { target: 'named', outcome: 'delivered' })).toBe(20);
    await eventually(async () => (await acceptedAt(peer)) === sent.length, 5000, 'stored at the peer');
    const letters = await deadLetters(a);
    const byTarget = (target: string) => letters.filter((l) => l.target === target) as ((typeof letters)[number] & { lastError: string })[];
    expect(byTarget('other-ca')).toHaveLength(20);
    expect(byTarget('other-ca')[0]).toMatchObject({ reason: 'attempts_exhausted', attempts: 2 });
    expect(byTarget('other-ca')[0]!.lastError).toMatch(/TLS handshake with the target failed.*(certificate|verify)/i);
    expect(byTarget('wrong-name')).toHaveLength(20);
    expect(byTarget('wrong-name')[0]!.lastError).toMatch(/TLS handshake with the target failed \(ERR_TLS_CERT_ALTNAME_INVALID\).*beta\.example/);
  });

  it('mutual TLS: a receiver that requires client certificates takes events from a target with one, and none without', async () => {
    const peerCert = { cert: readFileSync(file('peer.crt')), key: readFileSync(file('peer.key')) };
    const receiver = await startReceiver(undefined, 0, { tls: { ...peerCert, ca: ca.cert } });
    receivers.push(receiver);
    const a = await forwarder([
      { url: receiver.url, id: 'with-cert', tls: { caFile: file('peers-ca.crt'), certFile: file('forwarder.crt'), keyFile: file('forwarder.key') } },
      { url: `${receiver.url}/mcp`, id: 'without-cert', tls: { caFile: file('peers-ca.crt') } },
    ]);
    const sent = await produce(a, ids('mtls', 10));
    await settled(a);
    expect(new Set(receiver.delivered)).toEqual(new Set(sent));
    expect(receiver.requests.every((r) => r.path === '/api/v1/events/batch')).toBe(true);
    const letters = await deadLetters(a);
    expect(letters.filter((l) => l.target === 'without-cert')).toHaveLength(10);
    expect(letters.filter((l) => l.target === 'with-cert')).toEqual([]);
  });
});

describe('gRPC targets over TLS', () => {
  it('grpcs:// and grpc:// with a tls block: the right CA and a client certificate pass mutual TLS; no certificate, or another CA, is dead-lettered', async () => {
    const peer = await tlsPeer(true);
    const address = `127.0.0.1:${peer.ports.grpc}`;
    const mutual = { caFile: file('peers-ca.crt'), certFile: file('forwarder.crt'), keyFile: file('forwarder.key') };
    // Each target its own spelling of the endpoint: one endpoint named twice must have one set of settings.
    const a = await forwarder([
      { url: `grpcs://${address}`, id: 'grpcs-mutual', tls: mutual },
      { url: `grpc://localhost:${peer.ports.grpc}`, id: 'block-mutual', tls: { ...mutual, serverName: 'localhost' } },
      { url: `grpcs://localhost:${peer.ports.grpc}`, id: 'no-client-cert', tls: { caFile: file('peers-ca.crt') } },
      { url: `grpc://${address}`, id: 'other-ca', tls: { ...mutual, caFile: file('other-ca.crt') } },
    ]);
    const sent = await produce(a, ids('grpc-tls', 20));
    await settled(a);
    expect(await metric(a, 'tas_mcp_forward_events_total', { target: 'grpcs-mutual', outcome: 'delivered' })).toBe(20);
    expect(await metric(a, 'tas_mcp_forward_events_total', { target: 'block-mutual', outcome: 'delivered' })).toBe(20);
    await eventually(async () => (await acceptedAt(peer)) === sent.length, 5000, 'stored at the peer');
    const letters = await deadLetters(a);
    expect(letters.filter((l) => l.target === 'no-client-cert')).toHaveLength(20);
    // Each attempt fails (UNAVAILABLE); the events go when their attempts or their deadline run out, whichever comes first.
    expect(letters.find((l) => l.target === 'no-client-cert')).toMatchObject({
      reason: expect.stringMatching(/^(attempts_exhausted|expired)$/),
      lastStatus: 'UNAVAILABLE',
    });
    expect(letters.filter((l) => l.target === 'other-ca')).toHaveLength(20);
    console.log(
      `gRPC TLS failures as dead letters say: no client certificate: ${(letters.find((l) => l.target === 'no-client-cert') as any).lastError}; other CA: ${(letters.find((l) => l.target === 'other-ca') as any).lastError}`,
    );
  });
});
