import { describe, expect, it } from 'vitest';
import { afterTurn } from '../../src/after-turn.js';

describe('afterTurn', () => {
  it('runs the work once after the synchronous code that triggered it, however often, and again for a later turn', async () => {
    let runs = 0;
    const trigger = afterTurn(() => runs++);
    trigger();
    trigger();
    trigger();
    expect(runs).toBe(0);
    await Promise.resolve();
    expect(runs).toBe(1);
    trigger();
    await Promise.resolve();
    expect(runs).toBe(2);
  });

  it('lets the work trigger itself for the next turn', async () => {
    let runs = 0;
    const trigger: () => void = afterTurn(() => {
      if (++runs < 3) trigger();
    });
    trigger();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(runs).toBe(3);
  });
});
