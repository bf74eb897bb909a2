import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../../src/limits/bounded-queue.js';

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

  it('grows past its first slots as needed and keeps order across growth', () => {
    const queue = new BoundedQueue<number>(100);
    for (let i = 0; i < 10; i++) queue.push(i);
    for (let i = 0; i < 5; i++) queue.shift();
    for (let i = 10; i < 100; i++) expect(queue.push(i)).toBe(true);
    expect(queue.push(100)).toBe(true);
    expect(queue.push(101)).toBe(true);
    expect(queue.length).toBe(97);
    expect([...queue]).toEqual(Array.from({ length: 97 }, (_, i) => i + 5));
    for (let i = 102; queue.push(i); i++);
    expect(queue.length).toBe(100);
    expect(queue.isFull).toBe(true);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});

describe('BoundedQueue.at', () => {
  it('reads by index from the oldest, across the ring wrap, and nothing past the end', () => {
    const queue = new BoundedQueue<number>(4);
    for (const n of [1, 2, 3, 4]) queue.push(n);
    queue.shift();
    queue.shift();
    queue.push(5);
    expect([queue.at(0), queue.at(1), queue.at(2), queue.at(3), queue.at(-1)]).toEqual([3, 4, 5, undefined, undefined]);
  });
});
