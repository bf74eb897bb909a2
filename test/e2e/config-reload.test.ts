// A running gateway takes peers and routes from its config file as the file changes (the
// operator rewrites the mounted ConfigMap), without a restart; other changes wait for one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, produce } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-reload-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  rmSync(dir, { recursive: true, force: true });
});

describe('config reload', () => {
  it('applies new peers and routes live and keeps the same process', async () => {
    const first: Receiver = await startReceiver();
    const second: Receiver = await startReceiver();
    const routed: Receiver = await startReceiver();
    cleanup.push(
      () => first.close(),
      () => second.close(),
      () => routed.close(),
    );
    const file = join(dir, 'gateway.yaml');
    const write = (config: unknown) => writeFileSync(file, stringify(config));
    write({ forwarding: { targets: [first.url] } });

    const gateway: GatewayProcess = await startGateway({ args: ['--config', file], env: { LOG_LEVEL: 'info' } });
    cleanup.push(() => gateway.stop());
    await produce(gateway, ['r-1']);
    await eventually(() => first.delivered.includes('r-1'), 10_000, 'first peer gets r-1');

    write({
      forwarding: { targets: [second.url] },
      routes: [{ name: 'docs', match: { eventTypes: ['document.*'] }, targets: [{ url: routed.url, format: 'cloudevents' }] }],
    });
    await eventually(() => gateway.output().includes('config reloaded'), 10_000, 'reload logged');
    await produce(gateway, ['r-2']);
    await produce(gateway, ['doc-1'], { type: 'document.uploaded' });
    await eventually(() => second.delivered.includes('r-2') && routed.delivered.includes('doc-1'), 10_000, 'new peer and route get events');
    expect(first.delivered).toEqual(['r-1']);
    expect(routed.delivered).toEqual(['doc-1']);
    expect(routed.received[0]!.headers['ce-type']).toBe('document.uploaded');

    write({ forwarding: { targets: [second.url] }, limits: { bufferSize: 10 } });
    await eventually(() => gateway.output().includes('take effect on restart'), 10_000, 'restart-only change logged');
    write('not: [valid');
    await eventually(() => gateway.output().includes('cannot be used; keeping the running config'), 10_000, 'bad file refused');
    await produce(gateway, ['r-3']);
    await eventually(() => second.delivered.includes('r-3'), 10_000, 'still forwarding with the last good config');
    expect(gateway.child.exitCode).toBeNull();
  });
});
