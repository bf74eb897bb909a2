// Start-up and shutdown of a real gateway process: config errors stop it with exit code 2 and a
// message naming the setting; SIGTERM drains (readiness false, intake closed, queued events
// delivered, streams ended with a status) and exits 0.
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from './support/gateway-process.js';
import { mcpClient, unary, waitFor } from './support/grpc-clients.js';
import { streamsOpen } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-lifecycle-'));
afterAll(async () => {
  const { rmSync } = await import('node:fs');
  rmSync(dir, { recursive: true, force: true });
});

describe('configuration errors', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['BUFFER_SIZE not a number', { BUFFER_SIZE: 'lots' }, /BUFFER_SIZE: expected a whole number, got "lots"/],
    ['HTTP_PORT out of range', { HTTP_PORT: '70000' }, /HTTP_PORT: .*65535/],
    ['MAX_EVENT_SIZE unreadable', { MAX_EVENT_SIZE: '1 parsec' }, /MAX_EVENT_SIZE: expected a size such as 1048576, 1MB or 1Mi/],
    ['FORWARD_TIMEOUT unreadable', { FORWARD_TIMEOUT: 'soon' }, /FORWARD_TIMEOUT: expected a duration/],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, /LOG_LEVEL: .*(info|debug)/],
    ['FORWARD_TO not a URL', { FORWARD_TO: 'peer1:8080' }, /FORWARD_TO \(0\): expected an http:\/\/, https:\/\/, grpc:\/\/ or grpcs:\/\/ URL/],
  ];
  it.each(cases)('%s: exit 2 naming the setting', async (_name, env, message) => {
    const gateway = await startGateway({ env, waitReady: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(message);
  });

  it('a bad value in the config file names its path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'limits:\n  bufferSize: -3\n');
    const gateway = await startGateway({ env: { CONFIG_FILE: file }, waitReady: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(/limits\.bufferSize: .*>=\s*1/);
  });

  it('an unknown key in the config file is named', async () => {
    const file = join(dir, 'unknown.yaml');
    writeFileSync(file, 'limits:\n  bufferSise: 10\n');
    const gateway = await startGateway({ args: ['--config', file], waitReady: false });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(/limits: .*bufferSise/);
  });

  it('environment overrides the file', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'limits:\n  maxConnections: 1\n  bufferSize: 7\n');
    const gateway = await startGateway({ env: { CONFIG_FILE: file, MAX_CONNECTIONS: '3' } });
    const client = mcpClient(gateway.grpcAddress);
    const streams = [0, 1, 2].map(() => client.StreamEvents({ follow: true, start_timestamp: Date.now() }));
    const errors: grpc.ServiceError[] = [];
    for (const s of streams) {
      s.on('error', (e: grpc.ServiceError) => errors.push(e));
      s.on('data', () => {});
    }
    await streamsOpen(gateway, 3);
    expect(errors).toEqual([]); // three streams: the env's 3, not the file's 1
    const health = await unary<{ details: Record<string, string> }>(client, 'GetHealth', {});
    expect(health.details.active_streams).toBe('3');
    for (const s of streams) s.cancel();
    client.close();
    expect(await gateway.stop()).toBe(0);
  });
});

describe('SIGTERM', () => {
  it('drains: readiness false, intake closed, queued events delivered, streams ended, exit 0', async () => {
    const gateway = await startGateway({ env: { SHUTDOWN_GRACE_PERIOD: '5s', SUBSCRIBER_QUEUE_SIZE: '10000', LOG_LEVEL: 'info' } });
    const subscriberClient = mcpClient(gateway.grpcAddress);
    const stream = subscriberClient.StreamEvents({ follow: true, start_timestamp: Date.now() });
    const received: string[] = [];
    let ended: grpc.ServiceError | undefined;
    stream.on('data', (e: { event_id: string }) => received.push(e.event_id));
    stream.on('error', (e: grpc.ServiceError) => (ended = e));
    stream.pause(); // hold events in the gateway's queue for this subscriber
    await streamsOpen(gateway, 1);

    const producer = mcpClient(gateway.grpcAddress);
    const data = JSON.stringify({ blob: 'y'.repeat(4096) });
    const total = 2000;
    for (let i = 0; i < total; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          unary(producer, 'IngestEvent', { event_id: `d-${i + j}`, event_type: 'drain.test', source: 's', data }),
        ),
      );
    }

    gateway.child.kill('SIGTERM');
    await waitFor([0], () => gateway.output().includes('draining: intake closed'), 5000);
    expect((await fetch(`${gateway.healthUrl}/ready`)).status).toBe(503);
    const refused = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event_id: 'late', event_type: 't', source: 's', data: '{}' }),
    });
    expect(refused.status).toBe(503);
    const lateGrpc = (await unary(producer, 'IngestEvent', { event_id: 'late', event_type: 't', source: 's', data: '{}' }).catch(
      (e) => e,
    )) as grpc.ServiceError;
    expect(lateGrpc.code).toBe(grpc.status.UNAVAILABLE);

    stream.resume(); // the subscriber catches up within the grace period
    expect(await gateway.exited).toBe(0);
    await waitFor([0], () => ended !== undefined, 5000);
    expect(received).toHaveLength(total);
    expect(ended!.code).toBe(grpc.status.UNAVAILABLE);
    expect(ended!.details).toMatch(/shutting down/);
    expect(gateway.output()).toMatch(/"msg":"gateway stopped"/);
    subscriberClient.close();
    producer.close();
  });
});

describe('Kubernetes Events without credentials', () => {
  it('stop start-up with exit 2 naming kubernetesEvents.enabled', async () => {
    const gateway = await startGateway({
      env: { KUBERNETES_EVENTS: 'true', MCP_SERVER_NAME: 'x', POD_NAMESPACE: 'y', HOME: '/nonexistent' },
      waitReady: false,
    });
    expect(await gateway.exited).toBe(2);
    expect(gateway.output()).toMatch(/kubernetesEvents\.enabled: no Kubernetes credentials/);
  });
});
