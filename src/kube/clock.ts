// Time as a dependency: every module in src/kube that waits or measures takes a Clock, so unit
// tests can drive it with vitest's fake timers or a hand-made fake.

/** Opaque: whatever the clock's setTimeout returned, handed back to its clearTimeout. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

// Looks the globals up on every call (not at import), so vi.useFakeTimers() applies to it too.
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const timer = globalThis.setTimeout(callback, delayMs);
    // A pending retry or renewal must not keep the process alive on its own.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Resolves after `delayMs`, or at once when `signal` aborts. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, unless `timeoutMs` passes first: then resolves with `onTimeout()` (or
 * rejects with what it throws). The timer is cleared either way.
 */
export async function withTimeout<T, F>(clock: Clock, promise: Promise<T>, timeoutMs: number, onTimeout: () => F): Promise<T | F> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<F>((resolve, reject) => {
    timer = clock.setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}
