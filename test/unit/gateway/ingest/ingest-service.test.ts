import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../../gateway/bus/event-bus.js';
import { IngestService, type IngestServiceOptions } from '../../../../gateway/ingest/ingest-service.js';
import { EventSigning } from '../../../../gateway/federation/event-signing.js';
import { SecretDir } from '../../../support/secrets.js';
import { createGatewayMetrics } from '../../../../src/observability/metrics.js';

function setup(
  options: {
    bufferSize?: number;
    eventsPerSecond?: number;
    burst?: number;
    perClient?: number;
    signatures?: IngestServiceOptions['signatures'];
    requireSignatures?: boolean;
  } = {},
) {
  const bus = new EventBus({ bufferSize: options.bufferSize ?? 10, sinks: [] });
  const metrics = createGatewayMetrics({
    bufferDepth: () => bus.depth,
    bufferCapacity: () => bus.capacity,
    subscriberQueueDepth: () => 0,
    historyEvents: () => 0,
    subscriberDelivered: () => ({}),
    forwarding: () => ({ skippedOnPath: 0, skippedHopLimit: 0, targets: [] }),
    deadLetterTotals: () => new Map(),
    deadLettersHeld: () => 0,
  });
  const ingest = new IngestService({
    bus,
    metrics,
    maxEventSize: 4096,
    rateLimit: { eventsPerSecond: options.eventsPerSecond ?? 0, burst: options.burst },
    clientRateLimit: { eventsPerSecond: options.perClient ?? 0, burst: options.perClient, maxClients: 100 },
    signatures: options.signatures,
    requireSignatures: options.requireSignatures,
    now: () => 1000,
  });
  return { bus, metrics, ingest };
}

const event = (id: string) => ({ event_id: id, event_type: 't', source: 's', data: '{}' });

async function counter(metrics: ReturnType<typeof setup>['metrics'], name: string, labels: Record<string, string>) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  const value = metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('IngestService', () => {
  it('accepts, rejects and refuses, counting each by method and reason', async () => {
    const { ingest, bus, metrics } = setup({ bufferSize: 1 });
    expect(ingest.ingest(event('a'), 'http')).toMatchObject({ status: 'accepted', event: { event_id: 'a', timestamp: 1000 } });
    expect(ingest.ingest({ event_id: 'b' }, 'grpc')).toMatchObject({ status: 'rejected', reason: 'invalid', field: 'event_type' });
    expect(ingest.ingest(event('c'), 'http')).toMatchObject({ status: 'refused', reason: 'buffer_full', retryAfterSeconds: 1 });
    bus.close();
    expect(ingest.ingest(event('d'), 'http')).toMatchObject({ status: 'refused', reason: 'unavailable' });
    expect(ingest.errors).toBe(3);
    expect(await counter(metrics, 'tas_mcp_events_total', { method: 'http', status: 'success' })).toBe(1);
    expect(await counter(metrics, 'tas_mcp_events_total', { method: 'http', status: 'error' })).toBe(2);
    expect(await counter(metrics, 'tas_mcp_events_rejected_total', { method: 'grpc', reason: 'invalid' })).toBe(1);
    expect(await counter(metrics, 'tas_mcp_events_rejected_total', { method: 'http', reason: 'buffer_full' })).toBe(1);
  });

  it('takes a batch all or nothing', async () => {
    const { ingest, bus } = setup({ bufferSize: 3 });
    expect(ingest.ingestBatch([event('a'), { ...event('b'), data: 'x' }], 'http')).toMatchObject({
      status: 'rejected',
      field: 'events[1].data',
    });
    expect(bus.depth).toBe(0);
    ingest.ingest(event('first'), 'http');
    expect(ingest.ingestBatch([event('a'), event('b'), event('c')], 'http')).toMatchObject({ status: 'refused', reason: 'buffer_full' });
    expect(bus.depth).toBe(1);
    expect(ingest.ingestBatch([event('a'), event('b'), event('c'), event('d')], 'http')).toMatchObject({
      status: 'rejected',
      reason: 'too_large',
    });
    await bus.drained();
    expect(ingest.ingestBatch([event('a'), event('b'), event('c')], 'http')).toMatchObject({ status: 'accepted' });
    expect(bus.depth).toBe(3);
  });

  it('applies the rate limit with a Retry-After', () => {
    const { ingest } = setup({ eventsPerSecond: 1, burst: 2 });
    expect(ingest.ingest(event('a'), 'http').status).toBe('accepted');
    expect(ingest.ingest(event('b'), 'http').status).toBe('accepted');
    expect(ingest.ingest(event('c'), 'http')).toMatchObject({ status: 'refused', reason: 'rate_limited', retryAfterSeconds: 1 });
  });

  it('binds a tenant-bound caller to its tenant: stamps events without one, denies another tenant\'s', () => {
    const { ingest } = setup();
    const caller = { kind: 'jwt' as const, id: 'sub:a', tenant: 'ta' };
    expect(ingest.ingest(event('s'), 'http', { caller })).toMatchObject({ status: 'accepted', event: { metadata: { tenant_id: 'ta' } } });
    expect(ingest.ingest({ ...event('o'), metadata: { tenant_id: 'tb' } }, 'grpc', { caller })).toMatchObject({ status: 'denied', reason: 'tenant_mismatch' });
    expect(ingest.ingestBatch([event('b1'), { ...event('b2'), metadata: { tenant_id: 'tb' } }], 'http', { caller })).toMatchObject({
      status: 'denied',
      message: expect.stringContaining('events[1]'),
    });
    expect(ingest.ingest({ ...event('u'), metadata: { tenant_id: 'tb' } }, 'http').status).toBe('accepted');
  });

  it('limits each caller on its own bucket', () => {
    const { ingest } = setup({ perClient: 1 });
    const alice = { kind: 'apiKey' as const, id: 'key:a' };
    const bob = { kind: 'jwt' as const, id: 'sub:b' };
    expect(ingest.ingest(event('a1'), 'http', { caller: alice }).status).toBe('accepted');
    expect(ingest.ingest(event('a2'), 'http', { caller: alice })).toMatchObject({ status: 'refused', reason: 'rate_limited', retryAfterSeconds: 1 });
    expect(ingest.ingest(event('b1'), 'http', { caller: bob }).status).toBe('accepted');
    expect(ingest.trackedClients).toBe(2);
  });

  it('checks federation signatures: peers must sign; with requireSignatures so must federation metadata', () => {
    const secrets = new SecretDir();
    try {
      const signing = new EventSigning({ keysFile: secrets.write('k', `k1=${'s'.repeat(32)}\n`), reloadIntervalMs: 1000, onError: () => {} });
      const { ingest } = setup({ signatures: signing, requireSignatures: true, bufferSize: 100 });
      const peer = { kind: 'peer' as const, id: 'peer:k1' };
      const signed = signing.sign({ event_id: 'p1', event_type: 't', source: 's', timestamp: 5, data: '{}', metadata: { mcphops: '1' } });
      expect(ingest.ingest(signed, 'http', { caller: peer }).status).toBe('accepted');
      expect(ingest.ingest(event('p2'), 'http', { caller: peer })).toMatchObject({ status: 'denied', reason: 'unsigned' });
      expect(ingest.ingest({ ...event('p3'), metadata: { mcppath: 'x' } }, 'http')).toMatchObject({ status: 'denied', reason: 'unsigned' });
      expect(ingest.ingest({ ...signed, event_id: 'p4' }, 'http')).toMatchObject({ status: 'denied', reason: 'bad_signature' });
      expect(ingest.ingest(event('plain'), 'http').status).toBe('accepted');
      signing.close();
    } finally {
      secrets.remove();
    }
  });
});
