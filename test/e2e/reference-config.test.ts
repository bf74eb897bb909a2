// The Go reference server's way of starting and configuring, against real gateway processes:
// -version, -config with its JSON file, FORWARDING_* variables doing what they say, and what we
// cannot do refused at start with exit 2 and the setting named.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { GATEWAY_MAIN, startGateway, type GatewayProcess } from './support/gateway-process.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually } from './support/traffic.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-reference-'));
const running: (GatewayProcess | Receiver)[] = [];
afterAll(async () => {
  for (const part of running) await (('close' in part ? part.close() : part.stop()) as Promise<unknown>);
  rmSync(dir, { recursive: true, force: true });
});

const post = (gateway: GatewayProcess, event: object) =>
  fetch(`${gateway.httpUrl}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });

describe('flags', () => {
  it('-version prints the version and exits 0', async () => {
    const { stdout } = await run(process.execPath, [GATEWAY_MAIN, '-version']);
    expect(stdout.trim()).toBe(`TAS MCP gateway v${VERSION}`);
  });

  it('an unknown flag exits 2 naming it', async () => {
    const failed = await run(process.execPath, [GATEWAY_MAIN, '-port', '80']).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown flag -port') });
  });
});

describe("the reference's configuration", () => {
  it('-config with its JSON file: read, and forwarding to its targets by their rules', async () => {
    const receiver = await startReceiver();
    running.push(receiver);
    const file = join(dir, 'reference.json');
    writeFileSync(
      file,
      JSON.stringify({
        LogLevel: 'warn',
        MaxEventSize: 4096,
        BufferSize: 2000,
        MaxConnections: 100,
        Version: '1.0.0',
        forwarding: {
          enabled: true,
          default_retry_attempts: 2,
          default_timeout: 5_000_000_000,
          targets: [
            {
              id: 'documents',
              name: 'Documents',
              type: 'webhook',
              endpoint: `${receiver.url}/webhook`,
              rules: [{ id: 'docs', enabled: true, conditions: [{ field: 'event_type', operator: 'eq', value: 'document.uploaded' }] }],
            },
          ],
        },
      }),
    );
    const gateway = await startGateway({ args: ['-config', file] });
    running.push(gateway);
    expect((await post(gateway, { event_id: 'ref-doc', event_type: 'document.uploaded', source: 's', data: '{}' })).status).toBe(200);
    expect((await post(gateway, { event_id: 'ref-user', event_type: 'user.created', source: 's', data: '{}' })).status).toBe(200);
    // MaxEventSize from the file applies.
    expect(
      (await post(gateway, { event_id: 'ref-big', event_type: 'document.uploaded', source: 's', data: JSON.stringify({ x: 'y'.repeat(5000) }) }))
        .status,
    ).toBe(413);
    await eventually(() => receiver.delivered.includes('ref-doc'), 10_000, 'the matching event forwarded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((r) => r.id)).toEqual(['ref-doc']);
  });

  it('FORWARDING_ENABLED and FORWARDING_TARGETS forward what the rules match', async () => {
    const receiver = await startReceiver();
    running.push(receiver);
    const gateway = await startGateway({
      env: {
        FORWARDING_ENABLED: 'true',
        FORWARDING_TIMEOUT: '5s',
        FORWARDING_TARGETS: JSON.stringify([
          {
            id: 'tenant-a',
            name: 'Tenant A',
            type: 'http',
            endpoint: `${receiver.url}/in`,
            rules: [{ enabled: true, conditions: [{ field: 'metadata.tenant_id', operator: 'eq', value: 'a' }] }],
          },
        ]),
      },
    });
    running.push(gateway);
    await post(gateway, { event_id: 'env-a', event_type: 't', source: 's', data: '{}', metadata: { tenant_id: 'a' } });
    await post(gateway, { event_id: 'env-b', event_type: 't', source: 's', data: '{}', metadata: { tenant_id: 'b' } });
    await eventually(() => receiver.delivered.includes('env-a'), 10_000, 'tenant a forwarded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((r) => r.id)).toEqual(['env-a']);
  });

  it('what a target cannot do is refused at start: exit 2, the setting and the place named', async () => {
    for (const [env, message] of [
      [
        { FORWARDING_ENABLED: 'true', FORWARDING_TARGETS: '[{"id":"k","type":"kafka","endpoint":"broker:9092"}]' },
        'FORWARDING_TARGETS[0].type: kafka targets are not supported',
      ],
      [{ FORWARDING_TARGETS: '[]' }, 'FORWARDING_TARGETS: is set but FORWARDING_ENABLED is not true'],
      [
        { FORWARDING_ENABLED: 'true', FORWARDING_WORKERS: '8', FORWARD_CONCURRENCY: '4' },
        'FORWARDING_WORKERS: FORWARD_CONCURRENCY is the same setting',
      ],
    ] as const) {
      const gateway = await startGateway({ env, waitReady: false });
      expect(await gateway.exited, message).toBe(2);
      expect(gateway.output()).toContain(`invalid configuration: ${message}`);
    }
  });
});
