// `make run` as a person runs it: the whole product comes up on this machine (control plane,
// operator, samples, gateways), an event posted to one gateway reaches its peer, kubectl shows
// the servers Ready, and Ctrl-C stops everything.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { mcpClient, waitFor } from './support/grpc-clients.js';
import { eventually } from './support/traffic.js';

describe('make run', () => {
  it('runs the product locally and stops cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/tools/local-run/main.js')], {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually(() => output.includes('TAS MCP ready') || child.exitCode !== null, 120_000, 'TAS MCP ready');
      expect(output).toContain('TAS MCP ready');
      const port = (name: string, kind: 'http' | 'grpc') => {
        const line = output.split('\n').find((l) => l.includes(name))!;
        return Number((kind === 'http' ? /http:\/\/127\.0\.0\.1:(\d+)\/mcp/ : /grpc 127\.0\.0\.1:(\d+)/).exec(line)![1]);
      };
      const kubeconfig = /kubeconfig\s+(\S+)/.exec(output)![1]!;

      const beta = mcpClient(`127.0.0.1:${port('team-b/beta', 'grpc')}`);
      const received: string[] = [];
      const stream = beta.StreamEvents({ follow: true, start_timestamp: Date.now() });
      stream.on('data', (e: { event_id: string }) => received.push(e.event_id));
      stream.on('error', () => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      const response = await fetch(`http://127.0.0.1:${port('team-a/alpha', 'http')}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'run-1', data: JSON.stringify({ type: 'document.uploaded', source: 'make-run-test' }) }),
      });
      expect(response.status).toBe(200);
      await waitFor(received, (all) => all.includes('run-1'), 15_000);
      expect(received.filter((id) => id === 'run-1')).toHaveLength(1); // peer and route both carry it; beta dispatches it once
      stream.cancel();
      beta.close();

      const servers = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'mcpservers', '-A'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(servers).toMatch(/team-a\s+alpha\s+True\s+1/);
      expect(servers).toMatch(/team-b\s+beta\s+True\s+1/);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('stopped');
  }, 180_000);
});
