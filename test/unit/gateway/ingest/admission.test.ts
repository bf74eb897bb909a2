import { describe, expect, it } from 'vitest';
import { Admission } from '../../../../gateway/ingest/admission.js';

/** A log with `free` places, taken by whoever is admitted. */
function room(free: number) {
  return {
    free,
    hasRoomFor(count: number) {
      return this.free >= count;
    },
  };
}

describe('Admission', () => {
  it('admits synchronously while there is room and nobody waits', () => {
    const admission = new Admission(room(5), 1000);
    expect(admission.admit(5)).toBe(true);
    expect(admission.admit(6)).toBeInstanceOf(Promise);
  });

  it('refuses at once with no wait allowed', () => {
    expect(new Admission(room(0), 0).admit(1)).toBe(false);
  });

  it('admits waiters in arrival order, one at a time, as room comes back', async () => {
    const log = room(0);
    const admission = new Admission(log, 5000);
    const order: string[] = [];
    const take = (name: string, count: number) => {
      const admitted = admission.admit(count);
      if (admitted === true) return Promise.resolve(order.push(name));
      return (admitted as Promise<boolean>).then((ok) => {
        if (!ok) return order.push(`${name} refused`);
        log.free -= count; // appends at once when admitted
        return order.push(name);
      });
    };
    const waiting = [take('first', 2), take('second', 1)];
    // Room for one event only: the first (needing two) still waits, and the second does not overtake it.
    log.free = 1;
    // A caller arriving while others wait queues behind them even though one place is free.
    const third = admission.admit(1);
    expect(third).toBeInstanceOf(Promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    log.free = 4;
    await Promise.all(waiting);
    expect(await third).toBe(true);
    expect(order).toEqual(['first', 'second']);
    expect(admission.waiters).toBe(0);
  });

  it('refuses a waiter whose wait is over', async () => {
    const admission = new Admission(room(0), 30);
    const started = performance.now();
    expect(await admission.admit(1)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(admission.waiters).toBe(0);
  });
});
