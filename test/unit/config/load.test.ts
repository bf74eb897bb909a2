import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the seed defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.server).toEqual({
      host: '0.0.0.0',
      httpPort: 8080,
      grpcPort: 50051,
      healthPort: 8082,
      cors: { allowedOrigins: [], maxAge: 600_000 },
    });
    expect(config.logLevel).toBe('info');
    expect(config.limits).toMatchObject({ maxEventSize: 1_048_576, bufferSize: 5000, maxBatchSize: 1000, maxConnections: 100 });
    expect(config.forwarding).toMatchObject({ targets: [], timeout: 30_000, retry: { maxAttempts: 5 }, maxHops: 8 });
    expect(config.routes).toEqual([]);
  });

  it('reads every seed variable', () => {
    const config = loadConfig({
      env: {
        HTTP_PORT: '9000',
        GRPC_PORT: '9001',
        HEALTH_CHECK_PORT: '9002',
        LOG_LEVEL: 'debug',
        FORWARD_TO: 'http://peer1:8080, grpc://peer2:50051',
        FORWARD_TIMEOUT: '5s',
        MAX_EVENT_SIZE: '2Mi',
        BUFFER_SIZE: '64',
        MAX_CONNECTIONS: '7',
      },
    });
    expect(config.server).toMatchObject({ httpPort: 9000, grpcPort: 9001, healthPort: 9002 });
    expect(config.logLevel).toBe('debug');
    expect(config.forwarding).toMatchObject({
      targets: [
        { url: 'http://peer1:8080', id: 'peer1:8080', format: 'mcp', batch: true },
        { url: 'grpc://peer2:50051', id: 'peer2:50051', format: 'mcp', batch: true },
      ],
      timeout: 5000,
    });
    expect(config.limits).toMatchObject({ maxEventSize: 2 * 1024 * 1024, bufferSize: 64, maxConnections: 7 });
  });

  it('merges the YAML file under the environment', () => {
    const path = file('merge.yaml', 'logLevel: warn\nlimits:\n  bufferSize: 10\n  maxEventSize: 64KiB\nhistory:\n  retention: 10m\n');
    const config = loadConfig({ env: { CONFIG_FILE: path, BUFFER_SIZE: '20' } });
    expect(config.logLevel).toBe('warn');
    expect(config.limits.bufferSize).toBe(20);
    expect(config.limits.maxEventSize).toBe(65_536);
    expect(config.history.retention).toBe(600_000);
  });

  it('names the variable for an environment value the schema refuses', () => {
    expect(errorOf(() => loadConfig({ env: { BUFFER_SIZE: '0' } })).setting).toBe('BUFFER_SIZE');
    expect(errorOf(() => loadConfig({ env: { GRPC_PORT: '1.5' } })).message).toMatch(/GRPC_PORT: expected a whole number/);
  });

  it('names the file path for a file value, and the file for unreadable YAML', () => {
    expect(errorOf(() => loadConfig({ env: {}, file: file('bad.yaml', 'server:\n  httpPort: high\n') })).setting).toBe('server.httpPort');
    expect(errorOf(() => loadConfig({ env: {}, file: file('broken.yaml', 'a: [\n') })).message).toMatch(/CONFIG_FILE: .*not valid YAML/);
    expect(errorOf(() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') })).message).toMatch(/CONFIG_FILE: cannot read/);
    expect(errorOf(() => loadConfig({ env: {}, file: file('list.yaml', '- a\n') })).message).toMatch(/mapping/);
  });

  it('takes targets as {url, id, format, batch, tls}, and refuses what cannot work', () => {
    const config = parseConfig({
      forwarding: { targets: [{ url: 'http://argo:12000/mcp', id: 'argo', format: 'cloudevents' }, 'grpcs://peer:50051'] },
    });
    expect(config.forwarding.targets).toEqual([
      { url: 'http://argo:12000/mcp', id: 'argo', format: 'cloudevents', batch: false },
      { url: 'grpcs://peer:50051', id: 'peer:50051', format: 'mcp', batch: true },
    ]);
    const tls = { caFile: '/ca.crt', certFile: '/tls.crt', keyFile: '/tls.key', serverName: 'beta.example' };
    expect(parseConfig({ forwarding: { targets: [{ url: 'grpc://peer:50051', tls }] } }).forwarding.targets[0]).toEqual({
      url: 'grpc://peer:50051',
      id: 'peer:50051',
      format: 'mcp',
      batch: true,
      tls,
    });
    expect(
      parseConfig({ forwarding: { targets: [{ url: 'http://knative:80', format: 'cloudevents', batch: true }] } }).forwarding.targets[0]!.batch,
    ).toBe(true);
    const refused = (targets: unknown[]) => errorOf(() => parseConfig({ forwarding: { targets } })).message;
    expect(refused([{ url: 'grpc://x:1', format: 'cloudevents' }])).toMatch(/forwarding\.targets\.0: cloudevents and legacy targets must be http/);
    expect(refused([{ url: 'http://x:1', format: 'legacy', batch: true }])).toMatch(
      /forwarding\.targets\.0\.batch: legacy targets take one event per request/,
    );
    expect(refused([{ url: 'http://x:1/mcp', batch: true }])).toMatch(/forwarding\.targets\.0\.batch: an mcp target takes batches at a bare address/);
    // Batches where they go: a bare address, the batch route, any gRPC address; one at a time elsewhere.
    expect(
      parseConfig({
        forwarding: { targets: ['http://x:1', 'http://x:2/api/v1/events/batch', 'grpc://x:3', 'http://x:4/mcp'] },
      }).forwarding.targets.map((t) => t.batch),
    ).toEqual([true, true, true, false]);
    expect(refused([{ url: 'http://x:1', tls: { caFile: '/ca' } }])).toMatch(/forwarding\.targets\.0\.tls: tls needs an https/);
    expect(refused([{ url: 'https://x:1', tls: { certFile: '/c' } }])).toMatch(
      /forwarding\.targets\.0\.tls\.keyFile: certFile and keyFile go together/,
    );
  });

  it('refuses one target named twice with different settings, naming both places', () => {
    const message = errorOf(() =>
      parseConfig({
        forwarding: { targets: [{ url: 'http://beta:8080', id: 'beta' }] },
        routes: [{ name: 'r', targets: [{ url: 'http://beta:8080/', id: 'other' }] }],
      }),
    ).message;
    expect(message).toMatch(
      /routes\.0\.targets\.0: names the same target as forwarding\.targets\[0\] \(mcp http:\/\/beta:8080\) with other settings/,
    );
    // The same settings (the URL spelled either way) are one target.
    expect(() =>
      parseConfig({ forwarding: { targets: ['http://beta:8080'] }, routes: [{ name: 'r', targets: ['http://beta:8080/'] }] }),
    ).not.toThrow();
  });

  it("takes retryOn for the server and per route: statuses, classes and gRPC names, defaulting to today's rules", () => {
    expect(loadConfig({ env: {} }).forwarding.retry.retryOn).toEqual([
      '5xx',
      404,
      408,
      409,
      429,
      'CANCELLED',
      'UNKNOWN',
      'DEADLINE_EXCEEDED',
      'NOT_FOUND',
      'RESOURCE_EXHAUSTED',
      'ABORTED',
      'INTERNAL',
      'UNAVAILABLE',
    ]);
    expect(loadConfig({ env: { FORWARD_RETRY_ON: '400, 5XX, unavailable' } }).forwarding.retry.retryOn).toEqual([400, '5xx', 'UNAVAILABLE']);
    const config = parseConfig({ routes: [{ name: 'argo', targets: ['http://argo:12000'], delivery: { retry: { retryOn: [400, '5xx'] } } }] });
    expect(config.routes[0]!.delivery.retry).toEqual({ retryOn: [400, '5xx'] });
    expect(parseConfig({ routes: [{ name: 'r', targets: ['http://x:1'] }] }).routes[0]!.delivery.retry).toBeUndefined();
  });

  it('names the retryOn entry it cannot read, and where', () => {
    expect(errorOf(() => parseConfig({ forwarding: { retry: { retryOn: [200] } } })).message).toMatch(
      /forwarding\.retry\.retryOn\.0: expected an HTTP status from 300 to 599 .*got 200/,
    );
    expect(
      errorOf(() => parseConfig({ routes: [{ name: 'r', targets: ['http://x:1'], delivery: { retry: { retryOn: ['5xx', 'sometimes'] } } }] }))
        .message,
    ).toMatch(/routes\.0\.delivery\.retry\.retryOn\.1: .*got "sometimes"/);
    expect(errorOf(() => parseConfig({ forwarding: { retry: { retryOn: [] } } })).message).toMatch(/retryOn: must name at least one status/);
    expect(errorOf(() => loadConfig({ env: { FORWARD_RETRY_ON: '400,2xx' } })).message).toMatch(/FORWARD_RETRY_ON.*"2xx"/);
  });

  it('parseConfig takes the operator-rendered object with sizes and durations as text', () => {
    const config = parseConfig({ limits: { maxEventSize: '1Mi', rateLimit: { eventsPerSecond: 100 } }, shutdown: { gracePeriod: '20s' } });
    expect(config.limits.maxEventSize).toBe(1_048_576);
    expect(config.limits.rateLimit).toEqual({ eventsPerSecond: 100 });
    expect(config.shutdown.gracePeriod).toBe(20_000);
  });
});

describe('security settings', () => {
  it('are off by default', () => {
    const config = loadConfig({ env: {} });
    expect(config.auth.mode).toBe('none');
    expect(config.federation.requireSignatures).toBe(false);
    expect(config.tls.certFile).toBeUndefined();
    expect(config.limits.clientRateLimit.eventsPerSecond).toBe(0);
  });

  it('name what is missing for the chosen mode', () => {
    expect(errorOf(() => loadConfig({ env: { AUTH_MODE: 'apiKey' } })).setting).toBe('auth.apiKeys.file');
    expect(errorOf(() => loadConfig({ env: { AUTH_MODE: 'jwt' } })).setting).toBe('auth.jwt.jwksUrl');
    expect(errorOf(() => loadConfig({ env: { AUTH_MODE: 'sometimes' } })).setting).toBe('AUTH_MODE');
    expect(errorOf(() => loadConfig({ env: { FEDERATION_REQUIRE_SIGNATURES: 'true' } })).setting).toBe('federation.keysFile');
    expect(errorOf(() => loadConfig({ env: { FEDERATION_REQUIRE_SIGNATURES: 'maybe' } })).message).toContain(
      'FEDERATION_REQUIRE_SIGNATURES: expected true or false',
    );
    expect(errorOf(() => loadConfig({ env: { TLS_CERT_FILE: '/x.crt' } })).setting).toBe('tls.keyFile');
    expect(errorOf(() => loadConfig({ env: { JWT_JWKS_URL: 'ftp://x' } })).setting).toBe('JWT_JWKS_URL');
  });

  it('read lists and durations from the environment', () => {
    const config = loadConfig({ env: { AUTH_MODE: 'jwt', JWT_JWKS_URL: 'https://idp/jwks', JWT_AUDIENCE: 'a, b', JWT_CLOCK_SKEW: '5s' } });
    expect(config.auth.jwt).toMatchObject({ audience: ['a', 'b'], clockSkew: 5000, algorithms: ['RS256', 'ES256'] });
  });
});

describe('NATS credentials', () => {
  const jetstream = (credentials: Record<string, string>) => ({ bus: { type: 'jetstream', jetstream: { urls: ['nats://n:4222'], credentials } } });

  it('take a user name from a file, and the Argo EventBus client-auth file, from the file or the environment', () => {
    expect(parseConfig(jetstream({ userFile: '/s/user', passwordFile: '/s/password' })).bus.jetstream?.credentials).toEqual({
      userFile: '/s/user',
      passwordFile: '/s/password',
    });
    const config = loadConfig({ env: { BUS: 'jetstream', NATS_URL: 'nats://n:4222', NATS_BASIC_AUTH_FILE: '/s/client-auth' } });
    expect(config.bus.jetstream?.credentials).toEqual({ basicAuthFile: '/s/client-auth' });
    expect(
      loadConfig({ env: { BUS: 'jetstream', NATS_URL: 'nats://n:4222', NATS_USER_FILE: '/u', NATS_PASSWORD_FILE: '/p' } }).bus.jetstream?.credentials,
    ).toEqual({
      userFile: '/u',
      passwordFile: '/p',
    });
  });

  it('refuse two kinds at once, a user given twice, and a user without a password', () => {
    expect(errorOf(() => parseConfig(jetstream({ basicAuthFile: '/a', tokenFile: '/t' }))).message).toContain(
      'use one of tokenFile, user/passwordFile, nkeySeedFile, credsFile or basicAuthFile',
    );
    expect(errorOf(() => parseConfig(jetstream({ user: 'u', userFile: '/u', passwordFile: '/p' }))).setting).toBe(
      'bus.jetstream.credentials.userFile',
    );
    expect(errorOf(() => parseConfig(jetstream({ userFile: '/u' }))).message).toContain('user (or userFile) and passwordFile go together');
  });
});
