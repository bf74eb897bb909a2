// The Go reference server's configuration: its FORWARDING_* variables and its JSON config file
// are understood (mapped onto our schema) or refused by name, never ignored.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-reference-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
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

const enabled = { FORWARDING_ENABLED: 'true' };
const targets = (list: unknown[]) => ({ ...enabled, FORWARDING_TARGETS: JSON.stringify(list) });

describe('FORWARDING_* variables', () => {
  it('map onto our forwarding settings; retries are attempts after the first', () => {
    const config = loadConfig({
      env: { ...enabled, FORWARDING_RETRY_ATTEMPTS: '3', FORWARDING_TIMEOUT: '1m30s', FORWARDING_BUFFER_SIZE: '500', FORWARDING_WORKERS: '5' },
    });
    expect(config.forwarding).toMatchObject({ retry: { maxAttempts: 4 }, timeout: 90_000, queueSize: 500, concurrency: 5 });
  });

  it('are refused without FORWARDING_ENABLED=true, as the reference ignores them then', () => {
    for (const env of [{ FORWARDING_TIMEOUT: '5s' }, { FORWARDING_ENABLED: 'false', FORWARDING_TARGETS: '[]' }]) {
      const error = errorOf(() => loadConfig({ env }));
      expect(error.message).toMatch(/FORWARDING_ENABLED is not true/);
    }
    expect(errorOf(() => loadConfig({ env: { FORWARDING_ENABLED: 'maybe' } })).setting).toBe('FORWARDING_ENABLED');
  });

  it('refuse being set beside our variable for the same setting', () => {
    const error = errorOf(() => loadConfig({ env: { ...enabled, FORWARDING_TIMEOUT: '5s', FORWARD_TIMEOUT: '6s' } }));
    expect(error.setting).toBe('FORWARDING_TIMEOUT');
    expect(error.message).toContain('FORWARD_TIMEOUT is the same setting');
  });

  it('name the variable for a value that does not parse', () => {
    expect(errorOf(() => loadConfig({ env: { ...enabled, FORWARDING_WORKERS: 'five' } })).message).toBe(
      'invalid configuration: FORWARDING_WORKERS: expected a whole number, got "five"',
    );
    expect(errorOf(() => loadConfig({ env: { ...enabled, FORWARDING_TIMEOUT: '30' } })).setting).toBe('FORWARDING_TIMEOUT');
  });

  it('FORWARDING_ENABLED=false with peers configured is refused', () => {
    const error = errorOf(() => loadConfig({ env: { FORWARDING_ENABLED: 'false', FORWARD_TO: 'http://peer:8080' } }));
    expect(error.setting).toBe('FORWARDING_ENABLED');
    expect(error.message).toContain('1 peer(s)');
    expect(loadConfig({ env: { FORWARDING_ENABLED: 'false' } }).forwarding.targets).toEqual([]);
  });
});

describe('FORWARDING_TARGETS', () => {
  it('become one route per target, named by its id, with its rules as the match', () => {
    const config = loadConfig({
      env: targets([
        { id: 'all', name: 'Everything', type: 'http', endpoint: 'http://sink:9000/events' },
        {
          id: 'users',
          name: 'Users',
          type: 'grpc',
          endpoint: 'downstream:50051',
          config: { timeout: 20_000_000_000, retry_attempts: 2, retry_delay: '3s', headers: { 'Content-Type': 'application/json' } },
          rules: [
            {
              id: 'r1',
              enabled: true,
              priority: 1,
              conditions: [
                { field: 'event_type', operator: 'in', value: ['user.created', 'user.deleted'] },
                { field: 'source', operator: 'eq', value: 'auth-service' },
                { field: 'metadata.tenant_id', operator: 'eq', value: 't1' },
              ],
            },
            { id: 'off', enabled: false, conditions: [{ field: 'data.x', operator: 'regex', value: '.*' }] },
          ],
        },
        {
          id: 'two-rules',
          type: 'webhook',
          endpoint: 'https://hooks.example/in',
          rules: [
            { enabled: true, conditions: [{ field: 'event_type', operator: 'eq', value: 'a.b' }] },
            { enabled: true, conditions: [{ field: 'event_type', operator: 'in', value: ['c.d', 'a.b'] }] },
          ],
        },
      ]),
    });
    expect(config.routes).toEqual([
      {
        name: 'all',
        match: { eventTypes: [], sources: [], metadata: {} },
        targets: [{ url: 'http://sink:9000/events', id: 'sink:9000', format: 'mcp', batch: false }],
        delivery: {},
      },
      {
        name: 'users',
        match: { eventTypes: ['user.created', 'user.deleted'], sources: ['auth-service'], metadata: { tenant_id: 't1' } },
        targets: [{ url: 'grpc://downstream:50051', id: 'downstream:50051', format: 'mcp', batch: true }],
        delivery: { timeout: 20_000, retry: { maxAttempts: 3, initialBackoff: 3000 } },
      },
      {
        name: 'two-rules',
        match: { eventTypes: ['a.b', 'c.d'], sources: [], metadata: {} },
        targets: [{ url: 'https://hooks.example/in', id: 'hooks.example', format: 'mcp', batch: false }],
        delivery: {},
      },
    ]);
  });

  it('refuse what a route cannot do, naming where it is', () => {
    const cases: [unknown[], string][] = [
      [[{ id: 'k', type: 'kafka', endpoint: 'broker:9092' }], 'FORWARDING_TARGETS[0].type: kafka targets are not supported'],
      [[{ id: 'a', type: 'argo-events', endpoint: 'http://x' }], 'format: cloudevents'],
      [
        [{ id: 'h', type: 'http', endpoint: 'http://x', config: { headers: { 'X-Event-Source': 'tas-mcp' } } }],
        'FORWARDING_TARGETS[0].config.headers.X-Event-Source: per-target headers are not supported',
      ],
      [[{ id: 'h', type: 'http', endpoint: 'http://x', config: { batch_size: 100 } }], 'config.batch_size: per-target batching'],
      [[{ id: 'h', type: 'http', endpoint: 'http://x', config: { authentication: { type: 'bearer', token: 't' } } }], 'config.authentication'],
      [
        [
          {
            id: 's',
            type: 'http',
            endpoint: 'http://x',
            rules: [{ enabled: true, conditions: [{ field: 'data.severity', operator: 'gte', value: 8 }] }],
          },
        ],
        'FORWARDING_TARGETS[0].rules[0].conditions[0]: field "data.severity" with operator "gte" cannot be a route match',
      ],
      [
        [
          {
            id: 's',
            type: 'http',
            endpoint: 'http://x',
            rules: [{ enabled: true, conditions: [{ field: 'event_type', operator: 'contains', value: 'user.' }] }],
          },
        ],
        'operator "contains"',
      ],
      [
        [
          {
            id: 's',
            type: 'http',
            endpoint: 'http://x',
            rules: [{ enabled: true, conditions: [{ field: 'source', operator: 'eq', value: 'a', negate: true }] }],
          },
        ],
        'negate',
      ],
      [
        [{ id: 's', type: 'http', endpoint: 'http://x', rules: [{ enabled: true, transform: { template: '{}' }, conditions: [] }] }],
        'rules[0].transform: transforms are not supported',
      ],
      [[{ id: 's', type: 'http', endpoint: 'http://x', rules: [{ id: 'r', conditions: [] }] }], 'no rule has "enabled": true'],
      [
        [
          {
            id: 's',
            type: 'http',
            endpoint: 'http://x',
            rules: [
              { enabled: true, conditions: [{ field: 'event_type', operator: 'eq', value: 'a' }] },
              { enabled: true, conditions: [{ field: 'source', operator: 'eq', value: 'b' }] },
            ],
          },
        ],
        'several enabled rules',
      ],
      [
        [
          { id: 'x', type: 'http', endpoint: 'http://x' },
          { id: 'x', type: 'grpc', endpoint: 'y:1' },
        ],
        'FORWARDING_TARGETS[1].id: "x" is used by an earlier target',
      ],
      [[{ id: 'x', type: 'grpc', endpoint: 'http://y:1' }], 'expected host:port'],
      [[{ id: 'x', type: 'http', endpoint: 'http://x', colour: 'red' }], 'FORWARDING_TARGETS[0].colour: unknown key'],
    ];
    for (const [list, message] of cases) {
      const error = errorOf(() => loadConfig({ env: targets(list) }));
      expect(error.setting, message).toMatch(/^FORWARDING_TARGETS\[/);
      expect(error.message).toContain(message);
    }
  });

  it('that are not JSON are refused, not taken as no targets', () => {
    expect(errorOf(() => loadConfig({ env: { ...enabled, FORWARDING_TARGETS: '[{"id":' } })).message).toMatch(
      /^invalid configuration: FORWARDING_TARGETS: not valid JSON/,
    );
  });

  it('are added to the routes of the config file; an id that is a route name is refused', () => {
    const routes = file('routes.yaml', 'routes:\n  - name: docs\n    targets: [http://docs:8080]\n');
    const config = loadConfig({ file: routes, env: targets([{ id: 'extra', type: 'http', endpoint: 'http://e:1' }]) });
    expect(config.routes.map((r) => r.name)).toEqual(['docs', 'extra']);
    expect(errorOf(() => loadConfig({ file: routes, env: targets([{ id: 'docs', type: 'http', endpoint: 'http://e:1' }]) })).message).toContain(
      '"docs"',
    );
  });
});

describe("the reference server's JSON config file", () => {
  // As the reference's SaveToFile writes it: durations as nanoseconds, every field present.
  const saved = {
    HTTPPort: 9080,
    GRPCPort: 59051,
    HealthCheckPort: 9082,
    LogLevel: 'debug',
    ForwardTo: ['http://peer:8080'],
    ForwardTimeout: 30_000_000_000,
    MaxEventSize: 2_097_152,
    BufferSize: 2000,
    MaxConnections: 50,
    Version: '1.0.0',
    forwarding: {
      enabled: true,
      default_retry_attempts: 3,
      default_timeout: 10_000_000_000,
      buffer_size: 100,
      workers: 5,
      targets: [
        {
          id: 'webhook',
          name: 'Webhook',
          type: 'webhook',
          endpoint: 'http://hook:12000/webhook',
          config: { timeout: '15s', retry_attempts: 3, retry_delay: '2s' },
          rules: null,
        },
      ],
      rules: null,
    },
  };

  it('is read into our settings', () => {
    const config = loadConfig({ env: {}, file: file('saved.json', saved) });
    expect(config.server).toMatchObject({ httpPort: 9080, grpcPort: 59051, healthPort: 9082 });
    expect(config.logLevel).toBe('debug');
    expect(config.limits).toMatchObject({ maxEventSize: 2_097_152, bufferSize: 2000, maxConnections: 50 });
    // The reference's default_timeout applies after ForwardTimeout, as its forwarder uses it.
    expect(config.forwarding).toMatchObject({
      targets: [{ url: 'http://peer:8080' }],
      timeout: 10_000,
      retry: { maxAttempts: 4 },
      queueSize: 100,
      concurrency: 5,
    });
    expect(config.routes).toEqual([
      expect.objectContaining({
        name: 'webhook',
        targets: [expect.objectContaining({ url: 'http://hook:12000/webhook' })],
        delivery: { timeout: 15_000, retry: { maxAttempts: 4, initialBackoff: 2000 } },
      }),
    ]);
  });

  it('is overridden by the environment like our own file', () => {
    expect(loadConfig({ env: { HTTP_PORT: '7000' }, file: file('env.json', saved) }).server.httpPort).toBe(7000);
  });

  it('refuses what it cannot do, naming the file and key', () => {
    const withRules = file('rules.json', {
      ...saved,
      forwarding: { ...saved.forwarding, rules: [{ id: 'drop', enabled: true, actions: [{ type: 'drop' }] }] },
    });
    expect(errorOf(() => loadConfig({ env: {}, file: withRules })).message).toContain(`${withRules}: forwarding.rules: global rules`);
    const mixed = file('mixed.json', { HTTPPort: 1, limits: { bufferSize: 5 } });
    expect(errorOf(() => loadConfig({ env: {}, file: mixed })).message).toContain('limits: unknown key');
    const disabled = file('disabled.json', { ...saved, ForwardTo: [], forwarding: { ...saved.forwarding, enabled: false } });
    expect(errorOf(() => loadConfig({ env: {}, file: disabled })).message).toContain('forwarding.enabled is not true');
    const badTimeout = file('timeout.json', { ForwardTimeout: 'soon' });
    expect(errorOf(() => loadConfig({ env: {}, file: badTimeout })).message).toContain('ForwardTimeout: expected a duration');
  });

  it('our own YAML or JSON files are not mistaken for it', () => {
    const ours = file('ours.json', { logLevel: 'warn', server: { httpPort: 9999 }, forwarding: { targets: ['grpc://p:1'] } });
    const config = loadConfig({ env: {}, file: ours });
    expect(config.server.httpPort).toBe(9999);
    expect(config.forwarding.targets).toEqual([expect.objectContaining({ url: 'grpc://p:1' })]);
  });
});
