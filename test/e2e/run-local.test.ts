// `make run` as a person runs it: the whole product comes up on this machine (control plane,
// operator, samples, gateways, a nats-server for the sample on JetStream), an event posted to one
// gateway reaches its peer, events posted to one replica of the JetStream sample reach the
// subscribers of both replicas once, kubectl shows the servers Ready, and Ctrl-C stops
// everything: no process left, no file.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { mcpClient, waitFor } from './support/grpc-clients.js';
import { eventually } from './support/traffic.js';

let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;

const line = (name: string) => {
  const found = output.split('\n').find((l) => l.trimStart().startsWith(`${name} `));
  if (!found) throw new Error(`no line for ${name} in:\n${output}`);
  return found;
};
const port = (name: string, kind: 'http' | 'grpc') =>
  Number((kind === 'http' ? /http:\/\/127\.0\.0\.1:(\d+)\/mcp/ : /grpc 127\.0\.0\.1:(\d+)/).exec(line(name))![1]);
const setting = (label: string) => new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}\\s+(\\S+)`, 'm').exec(output)?.[1];
const kubectl = (...args: string[]) =>
  execFileSync('kubectl', ['--kubeconfig', setting('kubeconfig')!, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

/** Processes whose command line names `dir` (gateways' configs, nats-server's, the control plane's). */
function processesUsing(dir: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmdline.includes(dir) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

beforeAll(async () => {
  child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/tools/local-run/main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await eventually(() => output.includes('TAS MCP ready') || child.exitCode !== null, 150_000, 'TAS MCP ready');
  expect(output).toContain('TAS MCP ready');
}, 180_000);
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('make run', () => {
  it('forwards an event from one peer to the other', async () => {
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
  });

  it('runs both replicas of the JetStream sample on one log: what one replica takes in, the subscribers of both see once', async () => {
    expect(setting('nats (JetStream)')).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const replicas = ['team-c/gamma 1/2', 'team-c/gamma 2/2'];
    expect(new Set(replicas.map((name) => port(name, 'http'))).size).toBe(2); // two processes, each with its own ports
    const subscribers = replicas.map((name) => {
      const client = mcpClient(`127.0.0.1:${port(name, 'grpc')}`);
      const received: string[] = [];
      const stream = client.StreamEvents({ follow: true, start_timestamp: Date.now() });
      stream.on('data', (e: { event_id: string }) => received.push(e.event_id));
      stream.on('error', () => {});
      return { client, stream, received };
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`);
    for (const id of ids) {
      const response = await fetch(`http://127.0.0.1:${port(replicas[0]!, 'http')}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: id, event_type: 'demo.shared', source: 'make-run-test', data: '{}' }),
      });
      expect(response.status).toBe(200);
    }
    for (const { received } of subscribers) await waitFor(received, (all) => ids.every((id) => all.includes(id)), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 500)); // time for a duplicate to arrive
    for (const { received } of subscribers) expect(received.filter((id) => id.startsWith('shared-')).sort()).toEqual([...ids].sort());
    for (const { client, stream } of subscribers) {
      stream.cancel();
      client.close();
    }

    const gamma = JSON.parse(kubectl('get', 'mcpserver', 'gamma', '-n', 'team-c', '-o', 'json')) as {
      status: { bus: unknown; conditions: { type: string; status: string; reason: string }[] };
    };
    expect(gamma.status.bus).toEqual({ type: 'jetstream', stream: 'mcp_team-c_gamma', connectedPods: 2 });
    expect(gamma.status.conditions.find((c) => c.type === 'SharedLog')).toMatchObject({ status: 'True', reason: 'LogConnected' });
  });

  it('shows the servers Ready in kubectl, with their bus', () => {
    const servers = kubectl('get', 'mcpservers', '-A', '-o', 'wide');
    expect(servers).toMatch(/team-a\s+alpha\s+True\s+1\s.*\smemory\s+True/);
    expect(servers).toMatch(/team-b\s+beta\s+True\s+1\s/);
    expect(servers).toMatch(/team-c\s+gamma\s+True\s+2\s.*\sjetstream\s+True/);
  });

  it('stops on SIGINT, leaving no process and no file behind', async () => {
    const stateDir = setting('configs and logs')!;
    const controlPlaneDir = dirname(setting('kubeconfig')!);
    expect(processesUsing(stateDir).length).toBeGreaterThanOrEqual(5); // four gateways and nats-server
    const started = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped');
    expect(processesUsing(stateDir)).toEqual([]);
    expect(processesUsing(controlPlaneDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
