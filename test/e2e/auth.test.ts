// Authentication and tenancy on real sockets: API keys (rotated by rewriting the file) and JWTs
// (key file and JWKS URL) over HTTP, gRPC unary calls and every stream; each refusal names what
// is wrong without echoing the secret; a tenant-bound caller can neither send nor see another
// tenant's events.
import { createServer, type Server } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../gateway/wire/protos.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { collect, legacyClient, mcpClient, metadataOf, unary, unaryWith, waitFor } from './support/grpc-clients.js';
import { SecretDir, jwks, randomKey, signingKey, token, type SigningKey } from '../support/secrets.js';
import { eventually, metric, testEvent } from './support/traffic.js';

const argoGeneric = grpc.loadPackageDefinition(packageDefinition) as unknown as { generic: { Eventing: grpc.ServiceClientConstructor } };

const secrets = new SecretDir();
const clients: grpc.Client[] = [];
const running: GatewayProcess[] = [];
afterAll(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((g) => g.stop()));
  secrets.remove();
});

async function post(gateway: GatewayProcess, headers: Record<string, string>, body: unknown = testEvent(`e-${Math.random()}`)) {
  const response = await fetch(`${gateway.httpUrl}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function grpcError(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: grpc.ServiceError) => error,
  );
}

describe('API keys', () => {
  let gateway: GatewayProcess;
  const keyA = randomKey();
  const keyB = randomKey();
  let keysFile: string;

  beforeAll(async () => {
    keysFile = secrets.write('api-keys', `# one key per line\n${keyA}\n${keyB} tenant=tenant-b\n`);
    gateway = await startGateway({ env: { AUTH_MODE: 'apiKey', AUTH_API_KEYS_FILE: keysFile, AUTH_RELOAD_INTERVAL: '100ms' } });
    running.push(gateway);
  });

  it('HTTP: 401 for missing, malformed and unknown keys, naming which and never echoing the key', async () => {
    const missing = await post(gateway, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(JSON.parse(missing.text)).toMatchObject({ error: 'missing_credentials' });

    const wrong = `${keyA}x`;
    const unknown = await post(gateway, { 'x-api-key': wrong });
    expect(unknown.status).toBe(401);
    expect(JSON.parse(unknown.text)).toMatchObject({ error: 'unknown_api_key' });
    expect(unknown.text).not.toContain(wrong);

    const notBearer = await post(gateway, { authorization: `Basic ${keyA}` });
    expect(notBearer.status).toBe(401);
    expect(JSON.parse(notBearer.text)).toMatchObject({ error: 'malformed_credentials' });
    expect(notBearer.text).not.toContain(keyA);
  });

  it('HTTP: accepts a known key as X-API-Key or as a bearer credential; health and metrics stay open', async () => {
    expect((await post(gateway, { 'x-api-key': keyA })).status).toBe(200);
    expect((await post(gateway, { authorization: `Bearer ${keyA}` })).status).toBe(200);
    for (const url of [
      `${gateway.healthUrl}/health`,
      `${gateway.healthUrl}/ready`,
      `${gateway.healthUrl}/metrics`,
      `${gateway.httpUrl}/metrics`,
      `${gateway.httpUrl}/health`,
    ]) {
      expect((await fetch(url)).status, url).toBe(200);
    }
    expect((await fetch(`${gateway.httpUrl}/api/v1/dlq`)).status).toBe(401);
    expect((await fetch(`${gateway.httpUrl}/api/v1/dlq`, { headers: { 'x-api-key': keyA } })).status).toBe(200);
    // A tenant-bound key cannot read every tenant's dead letters.
    expect((await fetch(`${gateway.httpUrl}/api/v1/dlq`, { headers: { 'x-api-key': keyB } })).status).toBe(403);
    expect(await metric(gateway, 'tas_mcp_auth_failures_total', { ingress: 'http', reason: 'unknown_api_key' })).toBeGreaterThanOrEqual(1);
  });

  it('gRPC: UNAUTHENTICATED on IngestEvent and on every stream without a key; GetHealth stays open', async () => {
    const client = mcpClient(gateway.grpcAddress);
    const legacy = legacyClient(gateway.grpcAddress);
    clients.push(client, legacy);

    const noKey = await grpcError(unary(client, 'IngestEvent', testEvent('g-1')));
    expect(noKey.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(noKey.details).toContain('missing_credentials');
    const badKey = await grpcError(unaryWith(client, 'IngestEvent', testEvent('g-2'), metadataOf({ 'x-api-key': 'not-a-key-not-a-key' })));
    expect(badKey.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(badKey.details).toContain('unknown_api_key');
    expect(badKey.details).not.toContain('not-a-key');

    const ok = await unaryWith<{ status: string }>(client, 'IngestEvent', testEvent('g-3'), metadataOf({ 'x-api-key': keyA }));
    expect(ok.status).toBe('accepted');
    const viaBearer = await unaryWith<{ status: string }>(client, 'IngestEvent', testEvent('g-4'), metadataOf({ authorization: `Bearer ${keyA}` }));
    expect(viaBearer.status).toBe('accepted');

    for (const [name, open] of [
      ['StreamEvents', () => client.StreamEvents({ follow: true })],
      ['EventStream', () => client.EventStream()],
      ['legacy EventStream', () => legacy.EventStream()],
    ] as const) {
      const result = await collect(open() as grpc.ClientReadableStream<unknown>);
      expect(result.status.code, name).toBe(grpc.status.UNAUTHENTICATED);
    }
    const health = await unary<{ healthy: boolean }>(client, 'GetHealth', {});
    expect(health.healthy).toBe(true);
  });

  it('picks up a rewritten key file without a restart: the removed key stops working, the new one works', async () => {
    const keyC = randomKey();
    secrets.write('api-keys', `${keyC}\n`);
    await eventually(async () => (await post(gateway, { 'x-api-key': keyC })).status === 200, 5000, 'new key accepted');
    expect((await post(gateway, { 'x-api-key': keyA })).status).toBe(401);
    // A broken rewrite keeps the last good keys.
    secrets.write('api-keys', 'short\n');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await post(gateway, { 'x-api-key': keyC })).status).toBe(200);
    secrets.write('api-keys', `${keyA}\n${keyB} tenant=tenant-b\n`);
    await eventually(async () => (await post(gateway, { 'x-api-key': keyA })).status === 200, 5000, 'keys restored');
  });

  it('a gateway whose key file is missing does not start, and says which setting', async () => {
    const broken = await startGateway({ env: { AUTH_MODE: 'apiKey', AUTH_API_KEYS_FILE: `${secrets.path}/nope` }, waitReady: false });
    expect(await broken.exited).toBe(2);
    expect(broken.output()).toContain('auth');
    const unset = await startGateway({ env: { AUTH_MODE: 'apiKey' }, waitReady: false });
    expect(await unset.exited).toBe(2);
    expect(unset.output()).toContain('auth.apiKeys.file');
  });
});

describe('JWT bearer tokens', () => {
  let gateway: GatewayProcess;
  let fromJwks: GatewayProcess;
  let rsa: SigningKey;
  let ec: SigningKey;
  let stranger: SigningKey;
  let jwksServer: Server;
  const claims = { issuer: 'https://issuer.test', audience: 'tas-mcp' };

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([signingKey('RS256', 'rsa-1'), signingKey('ES256', 'ec-1'), signingKey('RS256', 'rsa-1')]);
    const keyFile = secrets.write('jwks.json', jwks(rsa, ec));
    const common = { AUTH_MODE: 'jwt', JWT_ISSUER: claims.issuer, JWT_AUDIENCE: claims.audience, JWT_CLOCK_SKEW: '30s' };
    jwksServer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(jwks(rsa, ec));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
    [gateway, fromJwks] = await Promise.all([
      startGateway({ env: { ...common, JWT_KEY_FILE: keyFile } }),
      startGateway({ env: { ...common, JWT_JWKS_URL: jwksUrl } }),
    ]);
    running.push(gateway, fromJwks);
  });
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  it('accepts RS256 and ES256 tokens from a key file and from a JWKS URL', async () => {
    for (const target of [gateway, fromJwks]) {
      for (const key of [rsa, ec]) {
        const answer = await post(target, { authorization: `Bearer ${await token(key, claims)}` });
        expect(answer.status, `${key.alg} ${answer.text}`).toBe(200);
      }
    }
  });

  it.each([
    ['expired', { expiresIn: -120 }, 'expired_token'],
    ['wrong audience', { audience: 'someone-else' }, 'wrong_audience'],
    ['wrong issuer', { issuer: 'https://evil.test' }, 'wrong_issuer'],
    ['not yet valid', { notBefore: 600 }, 'token_not_yet_valid'],
  ] as const)('401 for a token that is %s', async (_name, options, reason) => {
    const bad = await token(rsa, { ...claims, ...options });
    for (const target of [gateway, fromJwks]) {
      const answer = await post(target, { authorization: `Bearer ${bad}` });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text).error).toBe(reason);
      expect(answer.text).not.toContain(bad.split('.')[2]!);
    }
  });

  it('401 for a forged signature, an unknown key, a malformed token and an API key; tolerates clock skew', async () => {
    const forged = await token(stranger, claims); // same kid, other key
    expect(JSON.parse((await post(gateway, { authorization: `Bearer ${forged}` })).text).error).toBe('bad_signature');
    const unknownKid = await token({ ...stranger, kid: 'nobody' }, claims);
    expect(JSON.parse((await post(fromJwks, { authorization: `Bearer ${unknownKid}` })).text).error).toBe('unknown_signing_key');
    expect(JSON.parse((await post(gateway, { authorization: 'Bearer not-a-jwt' })).text).error).toBe('malformed_token');
    expect(JSON.parse((await post(gateway, { 'x-api-key': randomKey() })).text).error).toBe('malformed_credentials');
    // Expired 10 s ago, within the 30 s skew.
    expect((await post(gateway, { authorization: `Bearer ${await token(rsa, { ...claims, expiresIn: -10 })}` })).status).toBe(200);
  });

  it('gRPC: UNAUTHENTICATED naming an expired token, on unary calls and streams', async () => {
    const client = mcpClient(gateway.grpcAddress);
    clients.push(client);
    const expired = metadataOf({ authorization: `Bearer ${await token(rsa, { ...claims, expiresIn: -120 })}` });
    const error = await grpcError(unaryWith(client, 'IngestEvent', testEvent('j-1'), expired));
    expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(error.details).toContain('expired');
    const stream = await collect(client.StreamEvents({ follow: true }, expired));
    expect(stream.status.code).toBe(grpc.status.UNAUTHENTICATED);
    const valid = metadataOf({ authorization: `Bearer ${await token(ec, claims)}` });
    expect((await unaryWith<{ status: string }>(client, 'IngestEvent', testEvent('j-2'), valid)).status).toBe('accepted');
  });

  describe('tenancy', () => {
    const tenantToken = (tenant: string | undefined, subject: string) =>
      token(rsa, { ...claims, subject, ...(tenant ? { claims: { tenant_id: tenant } } : {}) });

    it("refuses another tenant's event (403 / PERMISSION_DENIED) and stamps events without a tenant", async () => {
      const a = await tenantToken('tenant-a', 'alice');
      const forB = await post(gateway, { authorization: `Bearer ${a}` }, testEvent('t-1', 'tenancy.x', { metadata: { tenant_id: 'tenant-b' } }));
      expect(forB.status).toBe(403);
      expect(JSON.parse(forB.text).error).toBe('tenant_mismatch');
      const batch = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a}` },
        body: JSON.stringify([testEvent('t-2'), testEvent('t-3', 'x', { metadata: { tenant_id: 'tenant-b' } })]),
      });
      // Each event on its own: the caller's own is taken, the other tenant's refused by name.
      expect(batch.status).toBe(200);
      expect(await batch.json()).toMatchObject({
        accepted: 1,
        rejected: 1,
        results: [
          { event_id: 't-2', status: 'accepted' },
          { event_id: 't-3', status: 'rejected', error: 'tenant_mismatch' },
        ],
      });
      const onlyOthers = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${a}` },
        body: JSON.stringify([testEvent('t-3b', 'x', { metadata: { tenant_id: 'tenant-b' } })]),
      });
      expect(onlyOthers.status).toBe(403);

      const client = mcpClient(gateway.grpcAddress);
      clients.push(client);
      const denied = await grpcError(
        unaryWith(
          client,
          'IngestEvent',
          testEvent('t-4', 'x', { metadata: { tenant_id: 'tenant-b' } }),
          metadataOf({ authorization: `Bearer ${a}` }),
        ),
      );
      expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);

      const since = Date.now() - 1000;
      expect((await post(gateway, { authorization: `Bearer ${a}` }, testEvent('t-5', 'tenancy.stamp'))).status).toBe(200);
      const replay = await collect<{ event_id: string; metadata: Record<string, string> }>(
        client.StreamEvents({ event_types: ['tenancy.stamp'], start_timestamp: since, follow: false }, metadataOf({ authorization: `Bearer ${a}` })),
      );
      expect(replay.messages.map((e) => [e.event_id, e.metadata.tenant_id])).toEqual([['t-5', 'tenant-a']]);
    });

    it("a tenant's subscribers see only that tenant's events, on every stream kind; an unbound caller sees all", async () => {
      const [a, b, admin] = await Promise.all([tenantToken('tenant-a', 'alice'), tenantToken('tenant-b', 'bob'), tenantToken(undefined, 'ops')]);
      const client = mcpClient(gateway.grpcAddress);
      const legacy = legacyClient(gateway.grpcAddress);
      clients.push(client, legacy);
      const asA = metadataOf({ authorization: `Bearer ${a}` });
      const received = { stream: [] as string[], bidi: [] as string[], legacy: [] as string[], admin: [] as string[], argo: [] as string[] };
      const argo = new argoGeneric.generic.Eventing(gateway.grpcAddress, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
      clients.push(argo);
      const streams = [
        argo
          .StartEventSource({ name: 'tenant-a-source', config: Buffer.from('eventTypes: ["iso.*"]') }, asA)
          .on('data', (e: { payload: Buffer }) => received.argo.push((JSON.parse(e.payload.toString()) as { event_id: string }).event_id)),
        client.StreamEvents({ event_types: ['iso.*'], follow: true }, asA).on('data', (e: { event_id: string }) => received.stream.push(e.event_id)),
        client.EventStream(asA).on('data', (e: { event_id: string }) => e.event_id.startsWith('iso') && received.bidi.push(e.event_id)),
        legacy.EventStream(asA).on('data', (e: { id: string }) => e.id.startsWith('iso') && received.legacy.push(e.id)),
        client
          .StreamEvents({ event_types: ['iso.*'], follow: true }, metadataOf({ authorization: `Bearer ${admin}` }))
          .on('data', (e: { event_id: string }) => received.admin.push(e.event_id)),
      ];
      for (const s of streams) s.on('error', () => {});
      await new Promise((resolve) => setTimeout(resolve, 300));

      for (let i = 0; i < 5; i++) {
        expect((await post(gateway, { authorization: `Bearer ${b}` }, testEvent(`iso-b-${i}`, 'iso.event'))).status).toBe(200);
        expect((await post(gateway, { authorization: `Bearer ${a}` }, testEvent(`iso-a-${i}`, 'iso.event'))).status).toBe(200);
      }
      const onlyA = Array.from({ length: 5 }, (_, i) => `iso-a-${i}`);
      await waitFor(received.admin, (all) => all.length === 10);
      await waitFor(received.stream, (all) => all.length >= 5);
      await waitFor(received.bidi, (all) => all.length >= 5);
      await waitFor(received.legacy, (all) => all.length >= 5);
      await waitFor(received.argo, (all) => all.length >= 5);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received.argo).toEqual(onlyA);
      expect(received.stream).toEqual(onlyA);
      expect(received.bidi).toEqual(onlyA);
      expect(received.legacy).toEqual(onlyA);
      for (const s of streams) s.cancel();
    });
  });
});
