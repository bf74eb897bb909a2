// A Go client generated from proto/ with protoc-gen-go and protoc-gen-go-grpc (component go-client of
// test/cluster/build.sh, the way the Go reference server's users generate theirs) calls every RPC of
// mcp.v1.MCPService and mcp.Eventing against a real gateway and checks each answer field by field.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath } from '../harness/index.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';

const run = promisify(execFile);
let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  expect(await gateway.stop()).toBe(0);
});

describe('the generated Go client', () => {
  it('calls every RPC of both services and every answer checks out', async () => {
    const result = await run(binPath('mcp-go-client'), ['-addr', gateway.grpcAddress, '-run', 'e2e'], { timeout: 60_000 }).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    const lines = result.stdout.trim().split('\n');
    expect(
      lines.filter((line) => line.startsWith('FAIL')),
      result.stderr,
    ).toEqual([]);
    expect(lines.filter((line) => line.startsWith('ok '))).toHaveLength(12);
    for (const rpc of [
      'GetHealth',
      'IngestEvent',
      'IngestEventBatch',
      'IngestEventBatchStream',
      'StreamEvents',
      'StreamEvents after_position',
      'StreamEvents follow',
      'EventStream',
      'mcp.Eventing/EventStream',
      'GetMetrics',
    ]) {
      expect(
        lines.some((line) => line.startsWith(`ok ${rpc}:`) || line.startsWith(`ok ${rpc} (`)),
        rpc,
      ).toBe(true);
    }
    expect(lines.at(-1)).toBe('all checks passed');
  });
});
