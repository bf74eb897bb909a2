import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Informer, withoutManagedFields } from '../../../src/kube/informer.js';
import { FakeSource, server, type Server } from './fake-list-watch-source.js';

const resource = { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', plural: 'mcpservers', namespaced: true };

function setup(options: { namespaces?: string[]; watchdogMs?: number } = {}) {
  const source = new FakeSource();
  const informer = new Informer<Server>({ resource, source, random: () => 0, ...options });
  const seen: string[] = [];
  informer.on({
    add: (o) => seen.push(`add ${o.metadata!.name}@${o.metadata!.resourceVersion}`),
    update: (prev, o) => seen.push(`update ${o.metadata!.name} ${prev.metadata!.resourceVersion}->${o.metadata!.resourceVersion}`),
    delete: (o) => seen.push(`delete ${o.metadata!.name}`),
  });
  return { source, informer, seen };
}

describe('Informer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lists, syncs, then follows the watch into a typed cache and handlers', async () => {
    const { source, informer, seen } = setup();
    source.items.set(undefined, [server('a', 'one', '5')]);
    informer.start();
    await informer.waitForSync({ timeoutMs: 1_000 });
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get('a', 'one')?.metadata?.resourceVersion).toBe('5');
    expect(source.last().options).toMatchObject({ resourceVersion: '10' });

    source.last().emit('ADDED', server('b', 'two', '11'));
    source.last().emit('MODIFIED', server('a', 'one', '12'));
    source.last().emit('MODIFIED', server('a', 'one', '12')); // same version: no update
    source.last().emit('DELETED', server('b', 'two', '13'));
    expect(seen).toEqual(['add one@5', 'add two@11', 'update one 5->12', 'delete two']);
    expect(informer.list().map((o) => o.metadata!.name)).toEqual(['one']);
    expect(informer.list('b')).toEqual([]);
    expect(informer.getByKey('a/one')).toBe(informer.get('a', 'one'));
  });

  it('transforms objects before caching them', async () => {
    const source = new FakeSource();
    const informer = new Informer<Server>({ resource, source, transform: withoutManagedFields });
    source.items.set(undefined, [
      { ...server('a', 'one', '5'), metadata: { namespace: 'a', name: 'one', resourceVersion: '5', managedFields: [{ manager: 'x' }] } },
    ]);
    informer.start();
    await informer.waitForSync();
    expect(informer.get('a', 'one')?.metadata?.managedFields).toBeUndefined();
    expect(informer.get('a', 'one')?.metadata?.resourceVersion).toBe('5');
  });

  it('replays the cache to handlers registered late', async () => {
    const { source, informer } = setup();
    source.items.set(undefined, [server('a', 'one', '5'), server('a', 'two', '6')]);
    informer.start();
    await informer.waitForSync();
    const added: string[] = [];
    informer.on({ add: (o) => added.push(o.metadata!.name!) });
    expect(added.sort()).toEqual(['one', 'two']);
  });

  it('keeps custom indexes up to date (which servers reference X)', async () => {
    const { source, informer } = setup();
    informer.addIndex('peers', (o) => (o.spec?.peers ?? []).map((p) => `${p.namespace}/${p.name}`));
    source.items.set(undefined, [server('a', 'one', '5', ['b/hub']), server('a', 'two', '6', ['b/hub', 'c/x'])]);
    informer.start();
    await informer.waitForSync();
    const names = (value: string) =>
      informer
        .byIndex('peers', value)
        .map((o) => o.metadata!.name)
        .sort();
    expect(names('b/hub')).toEqual(['one', 'two']);
    source.last().emit('MODIFIED', server('a', 'two', '11', ['c/x']));
    expect(names('b/hub')).toEqual(['one']);
    expect(names('c/x')).toEqual(['two']);
    source.last().emit('DELETED', server('a', 'one', '12'));
    expect(names('b/hub')).toEqual([]);
    expect(() => informer.byIndex('nope', 'x')).toThrow(/no index/);
  });

  it('restarts a failed watch with backoff, resuming from the last resourceVersion without relisting', async () => {
    const { source, informer } = setup();
    informer.start();
    await informer.waitForSync();
    source.last().emit('ADDED', server('a', 'one', '15'));
    source.last().end(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await vi.advanceTimersByTimeAsync(399);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 800 ms base, equal jitter with random()=0: 400 ms
    expect(source.watches).toHaveLength(2);
    expect(source.last().options.resourceVersion).toBe('15');
    expect(source.lists).toHaveLength(1);
    // Consecutive failures back off further: 800 ms, then 1600 ms.
    source.last().end(new Error('again'));
    await vi.advanceTimersByTimeAsync(799);
    expect(source.watches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(3);
  });

  it('resumes at once after a clean server-side close, but backs off when the watch closes at once with nothing', async () => {
    const { source, informer } = setup();
    informer.start();
    await informer.waitForSync();
    source.last().emit('BOOKMARK', { metadata: { resourceVersion: '20' } } as Server);
    await vi.advanceTimersByTimeAsync(5_000);
    source.last().end();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.watches).toHaveLength(2);
    expect(source.last().options.resourceVersion).toBe('20');
    source.last().end(); // closed immediately without events: no hot loop
    await vi.advanceTimersByTimeAsync(0);
    expect(source.watches).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(400);
    expect(source.watches).toHaveLength(3);
  });

  it('relists on 410 Gone and emits what the gap hid', async () => {
    const { source, informer, seen } = setup();
    source.items.set(undefined, [server('a', 'one', '5'), server('a', 'two', '6')]);
    informer.start();
    await informer.waitForSync();
    source.items.set(undefined, [server('a', 'two', '30'), server('a', 'three', '31')]);
    source.resourceVersion = '31';
    source.last().emit('ERROR', { code: 410, message: 'too old resource version' });
    source.last().end();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.lists).toHaveLength(2);
    expect(seen).toEqual(['add one@5', 'add two@6', 'delete one', 'update two 6->30', 'add three@31']);
    expect(source.last().options.resourceVersion).toBe('31');
  });

  it('relists when the watch request itself answers HTTP 410', async () => {
    const { source, informer } = setup();
    informer.start();
    await informer.waitForSync();
    source.last().end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(source.lists).toHaveLength(2);
  });

  it('retries a failed initial list with backoff and syncs once it works', async () => {
    const { source, informer } = setup();
    source.listFailures.push(new Error('connection refused'), new Error('connection refused'));
    informer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(informer.hasSynced()).toBe(false);
    await vi.advanceTimersByTimeAsync(400 + 800);
    expect(source.lists).toHaveLength(3);
    expect(informer.hasSynced()).toBe(true);
  });

  it('restarts a silent watch after the watchdog period', async () => {
    const { source, informer } = setup({ watchdogMs: 60_000 });
    informer.start();
    await informer.waitForSync();
    await vi.advanceTimersByTimeAsync(50_000);
    source.last().emit('BOOKMARK', { metadata: { resourceVersion: '12' } } as Server); // activity resets it
    await vi.advanceTimersByTimeAsync(59_999);
    expect(source.watches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches[0]!.aborted).toBe(true);
    // (fake timers run a 0 ms timer set inside a timer callback one tick later)
    await vi.advanceTimersByTimeAsync(1);
    expect(source.watches).toHaveLength(2);
    expect(source.last().options.resourceVersion).toBe('12');
    // The aborted watch's late done callback changes nothing.
    source.watches[0]!.end(new Error('aborted'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.watches).toHaveLength(2);
  });

  it('stays stopped: no restart from a pending list, watch or backoff timer', async () => {
    const { source, informer } = setup();
    let openList!: () => void;
    source.listGate = new Promise((resolve) => (openList = resolve));
    informer.start();
    const sync = informer.waitForSync();
    informer.stop();
    await expect(sync).rejects.toThrow(/stopped/);
    openList();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.watches).toHaveLength(0);
    expect(informer.hasSynced()).toBe(false);

    // Stop while a backoff timer is pending.
    const second = setup();
    second.informer.start();
    await second.informer.waitForSync();
    second.source.last().end(new Error('boom'));
    second.informer.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(second.source.watches).toHaveLength(1);

    // Stop while the watch request is still opening: its handle is aborted when it arrives.
    const third = setup();
    let openWatch!: () => void;
    third.source.watchGate = new Promise((resolve) => (openWatch = resolve));
    third.informer.start();
    await vi.advanceTimersByTimeAsync(0);
    third.informer.stop();
    openWatch();
    await vi.advanceTimersByTimeAsync(0);
    expect(third.source.watches[0]!.aborted).toBe(true);
    third.source.watches[0]!.emit('ADDED', server('a', 'late', '99'));
    expect(third.informer.get('a', 'late')).toBeUndefined();
  });

  it('runs one list-watch per namespace and merges them into one cache', async () => {
    const { source, informer } = setup({ namespaces: ['a', 'b'] });
    source.items.set('a', [server('a', 'one', '5')]);
    source.items.set('b', [server('b', 'two', '6')]);
    informer.start();
    await informer.waitForSync();
    expect(source.lists.sort()).toEqual(['a', 'b']);
    expect(source.watches.map((w) => w.namespace).sort()).toEqual(['a', 'b']);
    expect(
      informer
        .list()
        .map((o) => o.metadata!.name)
        .sort(),
    ).toEqual(['one', 'two']);
    // A relist of one namespace leaves the other alone.
    source.items.set('a', []);
    source.watches.find((w) => w.namespace === 'a')!.end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await vi.advanceTimersByTimeAsync(0);
    expect(informer.list().map((o) => o.metadata!.name)).toEqual(['two']);
  });

  it('waitForSync times out when the list never works', async () => {
    const { source, informer } = setup();
    source.listFailures = Array.from({ length: 100 }, () => new Error('forbidden'));
    informer.start();
    const sync = informer.waitForSync({ timeoutMs: 5_000 });
    const check = expect(sync).rejects.toThrow(/did not sync/);
    await vi.advanceTimersByTimeAsync(5_000);
    await check;
    informer.stop();
  });
});
