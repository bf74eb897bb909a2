// grpcurl, built by test/cluster/build.sh (component grpcurl), against a real gateway, through server
// reflection only (no proto files): it lists and describes every service and calls every RPC,
// unary and streaming, and the README's grpcurl lines run as written.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot } from '../harness/index.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { eventually, metric } from './support/traffic.js';

const run = promisify(execFile);
const pinned = /^\s+github\.com\/fullstorydev\/grpcurl (v\S+)/m.exec(
  readFileSync(join(repoRoot(), 'test', 'cluster', 'grpcurl', 'go.mod'), 'utf8'),
)?.[1];

let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(async () => {
  await gateway?.stop();
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** grpcurl -plaintext ARGS... against the gateway, optionally with stdin; never rejects. */
function grpcurl(args: string[], stdin?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(binPath('grpcurl'), ['-plaintext', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** A unary or server-streaming call that must end OK; its JSON answers. */
async function call(method: string, request: unknown, extra: string[] = []): Promise<any[]> {
  const result = await grpcurl(['-max-time', '10', '-emit-defaults', ...extra, '-d', JSON.stringify(request), gateway.grpcAddress, method]);
  expect(result.code, `${method}: ${result.stderr}`).toBe(0);
  return parseJsonStream(result.stdout);
}

/** grpcurl prints each message as pretty JSON, one after another. */
function parseJsonStream(text: string): any[] {
  const messages: any[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) messages.push(JSON.parse(text.slice(start, i + 1)));
  }
  return messages;
}

const SERVICES = ['generic.Eventing', 'grpc.health.v1.Health', 'mcp.Eventing', 'mcp.v1.MCPService'];

describe('grpcurl through server reflection', () => {
  it('is the pinned release', async () => {
    expect(pinned).toMatch(/^v1\.\d+\.\d+$/);
    const { stdout, stderr } = await run(binPath('grpcurl'), ['-version']);
    expect((stdout + stderr).trim()).toBe(`grpcurl ${pinned}`);
  });

  it("lists the gateway's services", async () => {
    const result = await grpcurl(['-max-time', '10', gateway.grpcAddress, 'list']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(expect.arrayContaining(SERVICES));
  });

  it('describes every service and its messages, maps as protoc declares them', async () => {
    const rpcs: Record<string, string[]> = {
      'mcp.v1.MCPService': ['IngestEvent', 'StreamEvents', 'EventStream', 'GetHealth', 'GetMetrics'],
      'mcp.Eventing': ['EventStream'],
      'generic.Eventing': ['StartEventSource'],
      'grpc.health.v1.Health': ['Check', 'Watch'],
    };
    for (const service of SERVICES) {
      const result = await grpcurl(['-max-time', '10', gateway.grpcAddress, 'describe', service]);
      expect(result.code, `${service}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(`${service} is a service`);
      for (const rpc of rpcs[service]!) expect(result.stdout, `${service}/${rpc}`).toMatch(new RegExp(`rpc ${rpc} \\(`));
    }
    for (const [message, field] of [
      ['mcp.v1.Event', 'map<string, string> metadata = 6;'],
      ['mcp.v1.IngestEventRequest', 'map<string, string> metadata = 6;'],
      ['mcp.v1.HealthCheckResponse', 'map<string, string> details = 3;'],
      ['mcp.v1.StreamEventsRequest', 'uint64 after_position = 4;'],
      ['mcp.MCPEvent', 'string data = 2;'],
      ['generic.Event', 'bytes payload = 2;'],
    ]) {
      const result = await grpcurl(['-max-time', '10', gateway.grpcAddress, 'describe', message!]);
      expect(result.code, `${message}: ${result.stderr}`).toBe(0);
      expect(result.stdout, message).toContain(field);
    }
  });

  it('calls every unary RPC', async () => {
    const [ingested] = await call('mcp.v1.MCPService/IngestEvent', {
      event_id: 'grpcurl-1',
      event_type: 'grpcurl.test',
      source: 'grpcurl',
      data: '{"n":1}',
      metadata: { tenant_id: 't1' },
    });
    expect(ingested).toMatchObject({ eventId: 'grpcurl-1', success: true, status: 'accepted' });
    const [health] = await call('mcp.v1.MCPService/GetHealth', {});
    expect(health).toMatchObject({ healthy: true, status: 'healthy', details: expect.objectContaining({ grpc_server: 'running' }) });
    const [metrics] = await call('mcp.v1.MCPService/GetMetrics', {});
    expect(Number(metrics.totalEvents)).toBeGreaterThanOrEqual(1);
    expect(Number(metrics.uptime)).toBeGreaterThan(0);
    expect(await call('grpc.health.v1.Health/Check', { service: 'mcp.v1.MCPService' })).toEqual([{ status: 'SERVING' }]);
    expect(await call('grpc.health.v1.Health/Check', { service: '' })).toEqual([{ status: 'SERVING' }]);
  });

  it('calls the server-streaming RPCs', async () => {
    const events = await call('mcp.v1.MCPService/StreamEvents', { event_types: ['grpcurl.*'], start_timestamp: 0, follow: false });
    expect(events).toEqual([
      expect.objectContaining({ eventId: 'grpcurl-1', eventType: 'grpcurl.test', source: 'grpcurl', data: '{"n":1}', metadata: { tenant_id: 't1' } }),
    ]);
    expect(Number(events[0].timestamp)).toBeGreaterThan(1e12);
    // Watch and StartEventSource follow for as long as the client stays: the first answers come, then the deadline ends the call.
    const watch = await grpcurl(['-max-time', '2', '-d', '{"service":"mcp.v1.MCPService"}', gateway.grpcAddress, 'grpc.health.v1.Health/Watch']);
    expect(parseJsonStream(watch.stdout)).toEqual([{ status: 'SERVING' }]);
    expect(watch.stderr).toContain('DeadlineExceeded');
    // A new EventSource name starts at the live end: the event is sent once the stream is open.
    const config = Buffer.from('eventTypes: ["grpcurl.*"]').toString('base64');
    const argoCall = grpcurl([
      '-max-time',
      '3',
      '-d',
      JSON.stringify({ name: 'grpcurl-source', config }),
      gateway.grpcAddress,
      'generic.Eventing/StartEventSource',
    ]);
    await eventually(
      async () => (await metric(gateway, 'tas_mcp_subscribers', { kind: 'argo_generic' })) === 1,
      5000,
      'the EventSource stream is open',
    );
    await call('mcp.v1.MCPService/IngestEvent', { event_id: 'grpcurl-live', event_type: 'grpcurl.live', source: 'grpcurl', data: '{"n":2}' });
    const argo = await argoCall;
    const [first] = parseJsonStream(argo.stdout);
    expect(first?.name).toBe('grpcurl-source');
    expect(JSON.parse(Buffer.from(first.payload, 'base64').toString())).toMatchObject({ event_id: 'grpcurl-live', data: { n: 2 } });
    expect(argo.stderr).toContain('DeadlineExceeded');
  });

  it('calls both bidirectional EventStreams: what it sends is ingested, and the stream ends OK when grpcurl half-closes', async () => {
    const before = await metric(gateway, 'tas_mcp_events_total', { method: 'grpc', status: 'success' });
    const v1 = await grpcurl(
      ['-max-time', '10', '-d', '@', gateway.grpcAddress, 'mcp.v1.MCPService/EventStream'],
      JSON.stringify({ event_id: 'grpcurl-bidi-1', event_type: 'grpcurl.bidi', source: 'grpcurl-bidi', data: '{}' }) +
        JSON.stringify({ event_id: 'grpcurl-bidi-2', event_type: 'grpcurl.bidi', source: 'grpcurl-bidi', data: '{}' }),
    );
    expect(v1.code, v1.stderr).toBe(0);
    const legacy = await grpcurl(
      ['-max-time', '10', '-d', '@', gateway.grpcAddress, 'mcp.Eventing/EventStream'],
      JSON.stringify({ id: 'grpcurl-legacy-1', data: '{"x":1}' }),
    );
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(await metric(gateway, 'tas_mcp_events_total', { method: 'grpc', status: 'success' })).toBe(before + 3);
    const stored = await call('mcp.v1.MCPService/StreamEvents', { event_types: ['grpcurl.bidi', 'legacy.event'], start_timestamp: 0, follow: false });
    expect(stored.map((e) => e.eventId)).toEqual(['grpcurl-bidi-1', 'grpcurl-bidi-2', 'grpcurl-legacy-1']);
  });

  it("runs the README's grpcurl lines as written", async () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)]
      .flatMap((block) => block[1]!.replace(/\\\n\s*/g, '').split('\n'))
      .filter((line) => line.startsWith('grpcurl '));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      // The address is the only change: this gateway listens on a free port.
      const command = line.replace(/#.*$/, '').replace(/localhost:\d+/g, gateway.grpcAddress);
      const result = await run('bash', ['-c', command], {
        env: { PATH: `${dirname(binPath('grpcurl'))}:${process.env.PATH}` },
        timeout: 20_000,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      expect(result.stdout.trim().length, line).toBeGreaterThan(0);
    }
  });
});
