import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { LeaderElector, type LeaseStore } from '../../../src/kube/leader-election.js';

/** One Lease with the API server's optimistic concurrency; serializes like the wire does. */
class FakeLeaseStore implements LeaseStore {
  lease: V1Lease | undefined;
  version = 0;
  failing = false;
  writes: V1Lease[] = [];

  async get(): Promise<V1Lease | undefined> {
    if (this.failing) throw new ApiException(503, 'unavailable', {}, {});
    return this.lease && JSON.parse(JSON.stringify(this.lease));
  }

  async create(_namespace: string, lease: V1Lease): Promise<V1Lease> {
    if (this.failing) throw new ApiException(503, 'unavailable', {}, {});
    if (this.lease) throw new ApiException(409, 'exists', { reason: 'AlreadyExists' }, {});
    return this.store(lease);
  }

  async replace(_namespace: string, lease: V1Lease): Promise<V1Lease> {
    if (this.failing) throw new ApiException(503, 'unavailable', {}, {});
    if (lease.metadata?.resourceVersion !== String(this.version)) throw new ApiException(409, 'conflict', { reason: 'Conflict' }, {});
    return this.store(lease);
  }

  holder(): string | undefined {
    return this.lease?.spec?.holderIdentity;
  }

  private store(lease: V1Lease): V1Lease {
    const wire = JSON.parse(JSON.stringify(lease)) as V1Lease;
    this.version++;
    wire.metadata = { ...wire.metadata, resourceVersion: String(this.version) };
    this.lease = wire;
    this.writes.push(wire);
    return JSON.parse(JSON.stringify(wire));
  }
}

function elector(store: LeaseStore, identity: string, events: string[]) {
  return new LeaderElector({
    store,
    namespace: 'tas-system',
    name: 'mcp-operator',
    identity,
    random: () => 0,
    onStartedLeading: (signal) => {
      events.push(`${identity} started`);
      signal.addEventListener('abort', () => events.push(`${identity} signal aborted`));
    },
    onStoppedLeading: () => events.push(`${identity} stopped`),
  });
}

describe('LeaderElector', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 10, 21, 12, 0, 0, 0) }));
  afterEach(() => vi.useRealTimers());

  it('creates the Lease with MicroTime times and renews it every retry period', async () => {
    const store = new FakeLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    void a.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.isLeader()).toBe(true);
    expect(store.lease?.spec).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-21T12:00:00.000000Z',
      renewTime: '2026-11-21T12:00:00.000000Z',
      leaseTransitions: 0,
    });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(store.lease?.spec?.renewTime).toBe('2026-11-21T12:00:02.000000Z');
    expect(store.lease?.spec?.acquireTime).toBe('2026-11-21T12:00:00.000000Z');
    expect(events).toEqual(['a started']);
    await a.stop();
  });

  it('lets one of two candidates lead, and the other take over soon after a graceful stop', async () => {
    const store = new FakeLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    const b = elector(store, 'b', events);
    void a.run();
    await vi.advanceTimersByTimeAsync(0);
    const bRun = b.run();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.observedLeader()).toBe('a');

    await a.stop();
    expect(store.holder()).toBe('');
    expect(store.lease?.spec?.leaseDurationSeconds).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.isLeader()).toBe(true);
    expect(store.lease?.spec?.leaseTransitions).toBe(0);
    expect(events).toEqual(['a started', 'a signal aborted', 'a stopped', 'b started']);
    await b.stop();
    await bRun;
  });

  it('takes over from a leader that vanished only after the lease duration', async () => {
    const store = new FakeLeaseStore();
    const events: string[] = [];
    // A leader that wrote the Lease once and died.
    await store.create('tas-system', {
      metadata: { name: 'mcp-operator', namespace: 'tas-system' },
      spec: { holderIdentity: 'dead', leaseDurationSeconds: 15, leaseTransitions: 3 },
    });
    const b = elector(store, 'b', events);
    void b.run();
    await vi.advanceTimersByTimeAsync(14_000);
    expect(b.isLeader()).toBe(false);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(b.isLeader()).toBe(true);
    expect(store.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 4 });
    await b.stop();
  });

  it('stops leading (aborts the signal) when renewals fail past the renew deadline', async () => {
    const store = new FakeLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    const run = a.run();
    await vi.advanceTimersByTimeAsync(0);
    store.failing = true;
    await vi.advanceTimersByTimeAsync(9_000);
    expect(a.isLeader()).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    await run;
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(['a started', 'a signal aborted', 'a stopped']);
  });

  it('stops leading when a renewal hangs past the deadline', async () => {
    const store = new FakeLeaseStore();
    const events: string[] = [];
    const a = elector(store, 'a', events);
    const run = a.run();
    await vi.advanceTimersByTimeAsync(0);
    store.get = () => new Promise(() => {});
    await vi.advanceTimersByTimeAsync(12_500);
    await run;
    expect(events).toEqual(['a started', 'a signal aborted', 'a stopped']);
  });

  it('refuses timings that cannot work', () => {
    const store = new FakeLeaseStore();
    expect(
      () =>
        new LeaderElector({
          store,
          namespace: 'n',
          name: 'l',
          identity: 'a',
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
          onStartedLeading: () => {},
        }),
    ).toThrow(RangeError);
  });
});
