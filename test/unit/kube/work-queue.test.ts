import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, type KeyProcessor, type ProcessResult } from '../../../src/kube/work-queue.js';

/** A processor whose runs finish only when the test says so. */
function controllableProcessor() {
  const runs: { key: string; finish: (result?: ProcessResult) => void; fail: (error: Error) => void; signal: AbortSignal }[] = [];
  const process: KeyProcessor = (key, signal) =>
    new Promise((resolve, reject) => {
      runs.push({ key, finish: (result) => resolve(result), fail: reject, signal });
    });
  return { runs, process };
}

describe('WorkQueue', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('does not queue a key twice while it waits', async () => {
    const { runs, process } = controllableProcessor();
    const queue = new WorkQueue({ name: 't', process, workers: 1 });
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(queue.depth).toBe(2);
    queue.start();
    expect(runs.map((r) => r.key)).toEqual(['ns/a']);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(['ns/a', 'ns/b']);
    runs[1]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    expect(queue.depth).toBe(0);
  });

  it('never runs one key twice at once, and reruns a key added while it ran', async () => {
    const { runs, process } = controllableProcessor();
    const queue = new WorkQueue({ name: 't', process, workers: 4 });
    queue.start();
    queue.add('ns/a');
    queue.add('ns/a'); // still processing: marked dirty, not started again
    queue.add('ns/a');
    expect(runs).toHaveLength(1);
    expect(queue.depth).toBe(0);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(['ns/a', 'ns/a']);
    runs[1]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
  });

  it('runs at most `workers` keys at the same time', async () => {
    const { runs, process } = controllableProcessor();
    const queue = new WorkQueue({ name: 't', process, workers: 2 });
    queue.start();
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    expect(queue.inFlight).toBe(2);
    expect(queue.depth).toBe(2);
    runs[1]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  });

  it('retries failures with per-key exponential backoff and forgets on success', async () => {
    const startedAt: number[] = [];
    let failuresLeft = 4;
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      backoff: { baseMs: 5, maxMs: 20 },
      process: async () => {
        startedAt.push(Date.now());
        if (failuresLeft-- > 0) throw new Error('boom');
      },
    });
    queue.start();
    queue.add('ns/a');
    await vi.advanceTimersByTimeAsync(1_000);
    // Delays 5, 10, 20, 20 (capped).
    const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
    expect(gaps).toEqual([5, 10, 20, 20]);
    expect(queue.retriesOf('ns/a')).toBe(0);
  });

  it('reports errors with the retry delay and counts retries', async () => {
    const onError = vi.fn();
    const retried = vi.fn();
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      process: async () => {
        throw new Error('nope');
      },
      onError,
      metrics: { retried },
    });
    queue.start();
    queue.add('k');
    await vi.advanceTimersByTimeAsync(0);
    expect(onError).toHaveBeenCalledWith('k', expect.any(Error), 5);
    await vi.advanceTimersByTimeAsync(5);
    expect(onError).toHaveBeenLastCalledWith('k', expect.any(Error), 10);
    expect(retried).toHaveBeenCalledTimes(2);
    queue.shutDown();
  });

  it('honours requeueAfter', async () => {
    const startedAt: number[] = [];
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      process: async () => {
        startedAt.push(Date.now());
        return startedAt.length < 3 ? { requeueAfter: 30_000 } : undefined;
      },
    });
    queue.start();
    queue.add('k');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(startedAt).toHaveLength(1);
    expect(queue.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(startedAt).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(startedAt).toHaveLength(3);
    expect(queue.waiting).toBe(0);
  });

  it('keeps the earlier of two delayed adds of one key', async () => {
    const seen: number[] = [];
    const queue = new WorkQueue({ name: 't', workers: 1, process: async () => void seen.push(Date.now()) });
    queue.start();
    const t0 = Date.now();
    queue.addAfter('k', 1_000);
    queue.addAfter('k', 100);
    queue.addAfter('k', 5_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual([t0 + 100]);
  });

  it('drains queued and in-flight keys on shutdown and then ignores adds', async () => {
    const { runs, process } = controllableProcessor();
    const queue = new WorkQueue({ name: 't', process, workers: 1 });
    queue.start();
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    const drained = queue.shutDownWithDrain(1_000);
    queue.add('d');
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    runs[1]!.finish();
    await expect(drained).resolves.toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
  });

  it('bounds the drain: gives up after the timeout and aborts in-flight runs', async () => {
    const { runs, process } = controllableProcessor();
    const queue = new WorkQueue({ name: 't', process, workers: 1 });
    queue.start();
    queue.add('stuck');
    queue.add('never');
    const drained = queue.shutDownWithDrain(500);
    await vi.advanceTimersByTimeAsync(499);
    expect(runs[0]!.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(drained).resolves.toBe(false);
    expect(runs[0]!.signal.aborted).toBe(true);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.key)).toEqual(['stuck']);
  });

  it('reports depth, adds, processing durations and the longest run', async () => {
    const { runs, process } = controllableProcessor();
    const depth = vi.fn();
    const added = vi.fn();
    const processed = vi.fn();
    const queue = new WorkQueue({ name: 'q', process, workers: 1, metrics: { depth, added, processed } });
    queue.add('a');
    queue.add('a');
    queue.add('b');
    expect(added).toHaveBeenCalledTimes(2);
    expect(depth).toHaveBeenLastCalledWith('q', 2);
    queue.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(queue.longestRunningMs()).toBe(250);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(processed).toHaveBeenCalledWith('q', 250, 'success');
    runs[1]!.fail(new Error('x'));
    await vi.advanceTimersByTimeAsync(0);
    expect(processed).toHaveBeenLastCalledWith('q', 0, 'error');
    queue.shutDown();
    expect(queue.longestRunningMs()).toBe(0);
  });
});
