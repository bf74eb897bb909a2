// Per-client rate limits on real sockets: keyed by API key (two keys, independent buckets), or
// by client address when no credentials are used; 429 + Retry-After / RESOURCE_EXHAUSTED; a
// metric per outcome; the bucket map stays bounded however many clients come.
import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient, metadataOf, unaryWith } from './support/grpc-clients.js';
import { SecretDir, randomKey } from '../support/secrets.js';
import { metric, testEvent } from './support/traffic.js';

const secrets = new SecretDir();
const running: GatewayProcess[] = [];
const clients: grpc.Client[] = [];
afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((g) => g.stop()));
  secrets.remove();
});

async function post(gateway: GatewayProcess, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.httpUrl}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(testEvent(`rl-${Math.random()}`)),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { error?: string; message?: string },
  };
}

/** POST from a chosen loopback source address (127.0.0.0/8 is all loopback on Linux). */
function postFrom(gateway: GatewayProcess, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(testEvent(`addr-${localAddress}-${Math.random()}`));
    const req = request(
      `${gateway.httpUrl}/api/v1/events`,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('per-client rate limits', () => {
  it('keyed by API key: one key limited does not limit another; HTTP 429 + Retry-After, gRPC RESOURCE_EXHAUSTED', async () => {
    const [keyA, keyB] = [randomKey(), randomKey()];
    const gateway = await startGateway({
      env: {
        AUTH_MODE: 'apiKey',
        AUTH_API_KEYS_FILE: secrets.write('keys', `${keyA}\n${keyB}\n`),
        CLIENT_RATE_LIMIT_EVENTS_PER_SECOND: '0.5',
        CLIENT_RATE_LIMIT_BURST: '2',
      },
    });
    running.push(gateway);
    expect((await post(gateway, { 'x-api-key': keyA })).status).toBe(200);
    expect((await post(gateway, { 'x-api-key': keyA })).status).toBe(200);
    const limited = await post(gateway, { 'x-api-key': keyA });
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ error: 'rate_limited' });
    expect(limited.body.message).toContain('per client');

    expect((await post(gateway, { 'x-api-key': keyB })).status).toBe(200);

    const client = mcpClient(gateway.grpcAddress);
    clients.push(client);
    const error = (await unaryWith(client, 'IngestEvent', testEvent('rl-grpc'), metadataOf({ 'x-api-key': keyA })).catch(
      (e) => e,
    )) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(Number(error.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
    const okB = await unaryWith<{ status: string }>(client, 'IngestEvent', testEvent('rl-grpc-b'), metadataOf({ 'x-api-key': keyB }));
    expect(okB.status).toBe('accepted');

    expect(await metric(gateway, 'tas_mcp_rate_limit_total', { scope: 'client', outcome: 'limited' })).toBe(2);
    expect(await metric(gateway, 'tas_mcp_rate_limit_total', { scope: 'client', outcome: 'allowed' })).toBe(4);
    expect(await metric(gateway, 'tas_mcp_rate_limit_clients')).toBe(2);
  });

  it('keyed by client address without auth, and the bucket map stays within maxClients', async () => {
    const gateway = await startGateway({
      env: { CLIENT_RATE_LIMIT_EVENTS_PER_SECOND: '0.1', CLIENT_RATE_LIMIT_BURST: '1', CLIENT_RATE_LIMIT_MAX_CLIENTS: '10' },
    });
    running.push(gateway);
    expect(await postFrom(gateway, '127.0.0.2')).toBe(200);
    expect(await postFrom(gateway, '127.0.0.2')).toBe(429);
    expect(await postFrom(gateway, '127.0.0.3')).toBe(200);

    const statuses: number[] = [];
    for (let i = 10; i < 60; i++) statuses.push(await postFrom(gateway, `127.0.1.${i}`));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(await metric(gateway, 'tas_mcp_rate_limit_clients')).toBe(10);
  });
});
