// grpcurl, built by test/cluster/build.sh (component grpcurl), runs and talks to a real gateway: tests of
// the gRPC surface can use the client people use.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot } from '../harness/index.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';

const run = promisify(execFile);
const pinned = /^\s+github\.com\/fullstorydev\/grpcurl (v\S+)/m.exec(
  readFileSync(join(repoRoot(), 'test', 'cluster', 'grpcurl', 'go.mod'), 'utf8'),
)?.[1];

describe('grpcurl', () => {
  let gateway: GatewayProcess | undefined;
  afterAll(async () => {
    await gateway?.stop();
  });

  it('is the pinned release', async () => {
    expect(pinned).toMatch(/^v1\.\d+\.\d+$/);
    const { stdout, stderr } = await run(binPath('grpcurl'), ['-version']);
    expect((stdout + stderr).trim()).toBe(`grpcurl ${pinned}`);
  });

  it("lists the gateway's services through server reflection", async () => {
    gateway = await startGateway();
    const { stdout } = await run(binPath('grpcurl'), ['-plaintext', '-max-time', '10', gateway.grpcAddress, 'list'], { timeout: 15_000 });
    expect(stdout.trim().split('\n')).toEqual(
      expect.arrayContaining(['generic.Eventing', 'grpc.health.v1.Health', 'mcp.Eventing', 'mcp.v1.MCPService']),
    );
  });
});
