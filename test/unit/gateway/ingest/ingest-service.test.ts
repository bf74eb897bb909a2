import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventSigning } from '../../../../gateway/federation/event-signing.js';
import { IngestService, type IngestObserver, type IngestServiceOptions } from '../../../../gateway/ingest/ingest-service.js';
import { MemoryLog } from '../../../../gateway/log/memory-log.js';

/** Counts what the service reports, keyed like the metrics it feeds. */
function recordingObserver() {
  const counts = new Map<string, number>();
  const add = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);
  const observer: IngestObserver = {
    accepted: (method) => add(`accepted ${method}`),
    failed: (method, reason, count) => add(`failed ${method} ${reason}`, count),
    duplicate: (method) => add(`duplicate ${method}`),
    signatureChecked: (outcome) => add(`signature ${outcome}`),
    rateLimitChecked: (scope, outcome, count) => add(`rate ${scope} ${outcome}`, count),
  };
  return { observer, count: (key: string) => counts.get(key) ?? 0 };
}

function setup(
  options: {
    bufferSize?: number;
    eventsPerSecond?: number;
    burst?: number;
    perClient?: number;
    signatures?: IngestServiceOptions['signatures'];
    requireSignatures?: boolean;
    admissionWaitMs?: number;
  } = {},
) {
  const log = new MemoryLog({
    bufferSize: options.bufferSize ?? 10,
    history: { size: 100, retentionMs: 60_000 },
    dedupe: { size: 100, ttlMs: 60_000 },
  });
  const { observer, count } = recordingObserver();
  const ingest = new IngestService({
    log,
    observer,
    maxEventSize: 4096,
    rateLimit: { eventsPerSecond: options.eventsPerSecond ?? 0, burst: options.burst },
    clientRateLimit: { eventsPerSecond: options.perClient ?? 0, burst: options.perClient, maxClients: 100 },
    signatures: options.signatures,
    requireSignatures: options.requireSignatures,
    admissionWaitMs: options.admissionWaitMs,
    now: () => 1000,
  });
  return { log, count, ingest };
}

const event = (id: string) => ({ event_id: id, event_type: 't', source: 's', data: '{}' });

/** What a promise has settled to once the timers due now could have run, or 'pending'. */
function settledSoon<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('IngestService', () => {
  it('makes a caller without room wait its turn, unless it already waited (a paused gRPC stream)', async () => {
    const { ingest, log } = setup({ bufferSize: 1, admissionWaitMs: 60_000 });
    expect((await ingest.ingest(event('a'), 'grpc')).status).toBe('accepted');
    expect(await settledSoon(ingest.ingest(event('b'), 'grpc', { waited: true }))).toMatchObject({ status: 'refused', reason: 'buffer_full' });
    const waiting = ingest.ingest(event('c'), 'grpc');
    expect(await settledSoon(waiting)).toBe('pending');
    await log.drained();
    expect(await waiting).toMatchObject({ status: 'accepted' });
  });

  it('accepts, rejects and refuses, counting each by method and reason', async () => {
    const { ingest, log, count } = setup({ bufferSize: 1 });
    expect(await ingest.ingest(event('a'), 'http')).toMatchObject({ status: 'accepted', event: { event_id: 'a', timestamp: 1000 } });
    expect(await ingest.ingest({ event_id: 'b' }, 'grpc')).toMatchObject({ status: 'rejected', reason: 'invalid', field: 'event_type' });
    expect(await ingest.ingest(event('c'), 'http')).toMatchObject({ status: 'refused', reason: 'buffer_full', retryAfterSeconds: 1 });
    expect(await ingest.ingest(event('a'), 'http')).toMatchObject({ status: 'duplicate' });
    log.close();
    expect(await ingest.ingest(event('d'), 'http')).toMatchObject({ status: 'refused', reason: 'unavailable' });
    expect(ingest.errors).toBe(3);
    expect([
      count('accepted http'),
      count('failed grpc invalid'),
      count('failed http buffer_full'),
      count('failed http unavailable'),
      count('duplicate http'),
    ]).toEqual([1, 1, 1, 1, 1]);
  });

  it('takes a batch event by event: bad ones rejected, the rest appended together, all refused when there is no room for them', async () => {
    const { ingest, log } = setup({ bufferSize: 3 });
    const mixed = await ingest.ingestBatch([event('a'), { ...event('b'), data: 'x' }, event('c')], 'http');
    expect(mixed.map((o) => o.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(mixed[1]).toMatchObject({ field: 'events[1].data' });
    expect(log.state().pending).toBe(2);
    const full = await ingest.ingestBatch([event('d'), event('e')], 'http');
    expect(full.map((o) => o.status)).toEqual(['refused', 'refused']);
    expect(full[0]).toMatchObject({ reason: 'buffer_full' });
    expect(log.state().pending).toBe(2);
    await log.drained();
    const again = await ingest.ingestBatch([event('a'), event('d'), event('e')], 'http');
    expect(again.map((o) => o.status)).toEqual(['duplicate', 'accepted', 'accepted']);
  });

  it('applies the rate limit with a Retry-After', async () => {
    const { ingest, count } = setup({ eventsPerSecond: 1, burst: 2 });
    expect((await ingest.ingest(event('a'), 'http')).status).toBe('accepted');
    expect((await ingest.ingest(event('b'), 'http')).status).toBe('accepted');
    expect(await ingest.ingest(event('c'), 'http')).toMatchObject({ status: 'refused', reason: 'rate_limited', retryAfterSeconds: 1 });
    expect([count('rate gateway allowed'), count('rate gateway limited')]).toEqual([2, 1]);
  });

  it("binds a tenant-bound caller to its tenant: stamps events without one, denies another tenant's", async () => {
    const { ingest } = setup();
    const caller = { kind: 'jwt' as const, id: 'sub:a', tenant: 'ta' };
    expect(await ingest.ingest(event('s'), 'http', { caller })).toMatchObject({ status: 'accepted', event: { metadata: { tenant_id: 'ta' } } });
    expect(await ingest.ingest({ ...event('o'), metadata: { tenant_id: 'tb' } }, 'grpc', { caller })).toMatchObject({
      status: 'denied',
      reason: 'tenant_mismatch',
    });
    const batch = await ingest.ingestBatch([event('b1'), { ...event('b2'), metadata: { tenant_id: 'tb' } }], 'http', { caller });
    expect(batch[0]!.status).toBe('accepted');
    expect(batch[1]).toMatchObject({ status: 'denied', message: expect.stringContaining('events[1]') });
    expect((await ingest.ingest({ ...event('u'), metadata: { tenant_id: 'tb' } }, 'http')).status).toBe('accepted');
  });

  it('limits each caller on its own bucket', async () => {
    const { ingest } = setup({ perClient: 1 });
    const alice = { kind: 'apiKey' as const, id: 'key:a' };
    const bob = { kind: 'jwt' as const, id: 'sub:b' };
    expect((await ingest.ingest(event('a1'), 'http', { caller: alice })).status).toBe('accepted');
    expect(await ingest.ingest(event('a2'), 'http', { caller: alice })).toMatchObject({
      status: 'refused',
      reason: 'rate_limited',
      retryAfterSeconds: 1,
    });
    expect((await ingest.ingest(event('b1'), 'http', { caller: bob })).status).toBe('accepted');
    expect(ingest.trackedClients).toBe(2);
  });

  it('checks federation signatures: peers must sign; with requireSignatures so must federation metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-ingest-'));
    try {
      const keysFile = join(dir, 'k');
      writeFileSync(keysFile, `k1=${'s'.repeat(32)}\n`);
      const signing = new EventSigning({ keysFile, reloadIntervalMs: 1000, onError: () => {} });
      const { ingest, count } = setup({ signatures: signing, requireSignatures: true, bufferSize: 100 });
      const peer = { kind: 'peer' as const, id: 'peer:k1' };
      // Signed as our gateways sign: after the edge normalised the timestamp to milliseconds.
      const signed = signing.sign({
        event_id: 'p1',
        event_type: 't',
        source: 's',
        timestamp: 1_704_537_600_000,
        data: '{}',
        metadata: { mcphops: '1' },
      });
      expect((await ingest.ingest(signed, 'http', { caller: peer })).status).toBe('accepted');
      expect(await ingest.ingest(event('p2'), 'http', { caller: peer })).toMatchObject({ status: 'denied', reason: 'unsigned' });
      expect(await ingest.ingest({ ...event('p3'), metadata: { mcppath: 'x' } }, 'http')).toMatchObject({ status: 'denied', reason: 'unsigned' });
      expect(await ingest.ingest({ ...signed, event_id: 'p4' }, 'http')).toMatchObject({ status: 'denied', reason: 'bad_signature' });
      expect((await ingest.ingest(event('plain'), 'http')).status).toBe('accepted');
      expect([count('signature valid'), count('signature unsigned'), count('signature bad_signature')]).toEqual([1, 2, 1]);
      signing.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
