// TLS on real sockets with certificates made by openssl: HTTPS ingest, gRPC with mutual TLS
// (client certificates verified against the configured CA; a certificate from another CA, none,
// or a plaintext client is refused), and a renewed server certificate picked up without a restart.
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDefinition } from '../../gateway/wire/protos.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { unary } from './support/grpc-clients.js';
import { issue, makeCa, replaceFile, type Pem } from './support/pki.js';
import { SecretDir } from '../support/secrets.js';
import { eventually, testEvent } from './support/traffic.js';

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as { mcp: { v1: { MCPService: grpc.ServiceClientConstructor } } };
const dir = new SecretDir();
let gateway: GatewayProcess;
let ca: Pem & { name: string };
let client: Pem;
let stranger: Pem;
const clients: grpc.Client[] = [];

beforeAll(async () => {
  ca = makeCa(dir.path, 'test-ca');
  const otherCa = makeCa(dir.path, 'other-ca');
  issue(dir.path, ca, 'gateway-1', 'server');
  client = issue(dir.path, ca, 'client', 'client');
  stranger = issue(dir.path, otherCa, 'stranger', 'client');
  gateway = await startGateway({
    env: {
      TLS_CERT_FILE: `${dir.path}/gateway-1.crt`,
      TLS_KEY_FILE: `${dir.path}/gateway-1.key`,
      TLS_CLIENT_CA_FILE: `${dir.path}/test-ca.crt`,
      TLS_RELOAD_INTERVAL: '200ms',
    },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await gateway?.stop();
  dir.remove();
});

function httpsPost(path: string): Promise<{ status: number; servedBy: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(testEvent(`tls-${Math.random()}`));
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.ports.http,
        path,
        method: 'POST',
        ca: ca.cert,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const servedBy = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN);
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, servedBy }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function grpcClient(credentials: grpc.ChannelCredentials): grpc.Client & Record<string, any> {
  const created = new loaded.mcp.v1.MCPService(`127.0.0.1:${gateway.ports.grpc}`, credentials, {
    'grpc.use_local_subchannel_pool': 1,
  }) as grpc.Client & Record<string, any>;
  clients.push(created);
  return created;
}

/** The CN of the certificate the gRPC port presents to a client with a good certificate. */
function grpcServedBy(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port: gateway.ports.grpc, ca: ca.cert, cert: client.cert, key: client.key, ALPNProtocols: ['h2'] },
      () => {
        resolve(String(socket.getPeerCertificate().subject?.CN));
        socket.destroy();
      },
    );
    socket.on('error', reject);
  });
}

describe('TLS', () => {
  it('serves HTTPS ingest; plaintext HTTP on that port gets no answer', async () => {
    expect(await httpsPost('/api/v1/events')).toEqual({ status: 200, servedBy: 'gateway-1' });
    const plain = await fetch(`http://127.0.0.1:${gateway.ports.http}/api/v1/events`, { method: 'POST' }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
    // Health probes stay plain HTTP on their own port.
    expect((await fetch(`${gateway.healthUrl}/ready`)).status).toBe(200);
  });

  it('gRPC with mutual TLS: a client certificate from the CA is accepted', async () => {
    const good = grpcClient(grpc.credentials.createSsl(ca.cert, client.key, client.cert));
    expect(await unary<{ status: string }>(good, 'IngestEvent', testEvent('mtls-1'))).toMatchObject({ status: 'accepted' });
  });

  it.each([
    ['a client certificate from another CA', () => grpc.credentials.createSsl(ca.cert, stranger.key, stranger.cert)],
    ['no client certificate', () => grpc.credentials.createSsl(ca.cert)],
    ['a plaintext client', () => grpc.credentials.createInsecure()],
  ])('gRPC refuses %s (UNAVAILABLE: the handshake fails)', async (_name, credentials) => {
    const bad = grpcClient(credentials());
    const error = (await unary(bad, 'IngestEvent', testEvent('mtls-bad')).catch((e) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a renewed certificate is served on new connections without a restart, on both ports', async () => {
    expect(await grpcServedBy()).toBe('gateway-1');
    const renewed = issue(dir.path, ca, 'gateway-2', 'server');
    replaceFile(`${dir.path}/gateway-1.key`, renewed.key);
    replaceFile(`${dir.path}/gateway-1.crt`, renewed.cert);
    await eventually(async () => (await httpsPost('/api/v1/events')).servedBy === 'gateway-2', 10_000, 'HTTPS serves the new certificate');
    await eventually(async () => (await grpcServedBy()) === 'gateway-2', 10_000, 'gRPC serves the new certificate');
    const fresh = grpcClient(grpc.credentials.createSsl(ca.cert, client.key, client.cert));
    expect(await unary<{ status: string }>(fresh, 'IngestEvent', testEvent('mtls-2'))).toMatchObject({ status: 'accepted' });
  });
});
