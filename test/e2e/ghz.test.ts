// ghz, built by test/cluster/build.sh (component ghz), runs the seed's load command against a real
// gateway, word for word, and it finishes: every bidirectional stream ends with OK once ghz has
// sent its message and half-closed. The same for mcp.v1.MCPService/EventStream, once with the
// proto file and once through server reflection.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot } from '../harness/index.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { metric } from './support/traffic.js';

const run = promisify(execFile);
const pinned = /^\s+github\.com\/bojand\/ghz (v\S+)/m.exec(readFileSync(join(repoRoot(), 'test', 'cluster', 'ghz', 'go.mod'), 'utf8'))?.[1];

/** The load command of seed 000 ("gRPC Streaming Test"), as the seed prints it. */
const SEED_COMMAND = `ghz --insecure --proto proto/mcp.proto --call mcp.Eventing.EventStream \\
  --data '{"id":"test","data":"{}"}' localhost:50051`;

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.stop();
});

/** Runs a ghz command line (in the repository root, where proto/ is) against the gateway. */
async function ghz(commandLine: string): Promise<{ stdout: string; ms: number }> {
  const command = commandLine.replace('localhost:50051', gateway.grpcAddress);
  const started = Date.now();
  const { stdout } = await run('bash', ['-c', command], {
    cwd: repoRoot(),
    env: { PATH: `${dirname(binPath('ghz'))}:${process.env.PATH}` },
    timeout: 60_000,
  });
  return { stdout, ms: Date.now() - started };
}

/** "[OK]   200 responses" and the like, from ghz's summary. */
function statusCounts(summary: string): Record<string, number> {
  const section = summary.split('Status code distribution:')[1] ?? '';
  return Object.fromEntries([...section.matchAll(/\[(\w+)\]\s+(\d+) responses/g)].map((m) => [m[1]!, Number(m[2])]));
}

describe('ghz', () => {
  it('is the pinned release', async () => {
    const { stdout, stderr } = await run(binPath('ghz'), ['--version']);
    expect((stdout + stderr).trim()).toBe(pinned);
  });

  it("runs the seed's command to completion: 200 streams, every one OK", async () => {
    const before = await metric(gateway, 'tas_mcp_events_total', { method: 'grpc', status: 'success' });
    const { stdout, ms } = await ghz(SEED_COMMAND);
    expect(stdout).toMatch(/Count:\s+200\b/);
    expect(statusCounts(stdout)).toEqual({ OK: 200 });
    // Far below ghz's 20 s per-call timeout: no stream waits for its deadline.
    expect(ms).toBeLessThan(15_000);
    // Every call sent {"id":"test"}: stored once, answered as a duplicate 199 times.
    expect(await metric(gateway, 'tas_mcp_events_total', { method: 'grpc', status: 'success' })).toBe(before + 1);
    expect(await metric(gateway, 'tas_mcp_events_duplicate_total', { method: 'grpc' })).toBeGreaterThanOrEqual(199);
    expect(await metric(gateway, 'tas_mcp_subscribers', { kind: 'legacy_event_stream' })).toBe(0);
  });

  it('runs the same load on mcp.v1.MCPService/EventStream, with the proto file and through reflection', async () => {
    const data = `'{"event_id":"ghz-{{.RequestNumber}}","event_type":"load.ghz","source":"ghz-{{.RequestNumber}}","data":"{}"}'`;
    for (const source of ['--proto proto/mcp/v1/mcp.proto', '']) {
      const { stdout } = await ghz(`ghz --insecure ${source} --call mcp.v1.MCPService.EventStream -n 300 -c 30 --data ${data} localhost:50051`);
      expect(statusCounts(stdout), source || 'reflection').toEqual({ OK: 300 });
    }
    expect(await metric(gateway, 'tas_mcp_subscribers', { kind: 'event_stream' })).toBe(0);
  });
});
