import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../gateway/bus/bounded-queue.js';

describe('BoundedQueue', () => {
  it('is FIFO across wrap-around and refuses past capacity', () => {
    const queue = new BoundedQueue<number>(3);
    expect([queue.push(1), queue.push(2), queue.push(3), queue.push(4)]).toEqual([true, true, true, false]);
    expect(queue.isFull).toBe(true);
    expect(queue.shift()).toBe(1);
    expect(queue.push(5)).toBe(true);
    expect([...queue]).toEqual([2, 3, 5]);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual([2, 3, 5, undefined]);
    expect(queue.length).toBe(0);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
