import { describe, expect, it } from 'vitest';
import { serverFigures } from '../../../../operator/federation-map/figures.js';
import type { GatewaySample, TargetCounters } from '../../../../operator/federation-map/gateway-sample.js';

const target = (counts: Partial<TargetCounters>): TargetCounters => ({
  delivered: 0,
  failedAttempts: 0,
  inFlight: 0,
  deadLetters: 0,
  circuit: 0,
  ...counts,
});
const sample = (
  at: number,
  counts: Partial<Omit<GatewaySample, 'targets' | 'at'>>,
  targets: Record<string, Partial<TargetCounters>> = {},
): GatewaySample => ({
  at,
  accepted: 0,
  rejected: 0,
  bufferEvents: 0,
  deadLetters: 0,
  deadLettersHeld: 0,
  ...counts,
  targets: new Map(Object.entries(targets).map(([id, c]) => [id, target(c)])),
});

describe('serverFigures', () => {
  it('has totals and gauges from one read, and no rates until a second', () => {
    const figures = serverFigures([
      { current: sample(1000, { accepted: 10, rejected: 1, bufferEvents: 3 }, { 'b/beta': { delivered: 4, circuit: 2 } }) },
    ])!;
    expect(figures.node).toEqual({
      eventsPerSecond: null,
      errorsPerSecond: null,
      accepted: 10,
      errors: 1,
      queueDepth: 3,
      openCircuits: 1,
      deadLetters: 0,
      deadLettersHeld: 0,
    });
    expect(figures.targets.get('b/beta')).toEqual({
      eventsPerSecond: null,
      errorsPerSecond: null,
      delivered: 4,
      queueDepth: 0,
      circuit: 'open',
      deadLetters: 0,
    });
  });

  it('computes rates from two reads, and counts from zero after a restart', () => {
    const previous = sample(1000, { accepted: 10, rejected: 4 }, { 'b/beta': { delivered: 10, failedAttempts: 2 } });
    const current = sample(3000, { accepted: 30, rejected: 1 }, { 'b/beta': { delivered: 16, failedAttempts: 2 }, 'new/target': { delivered: 4 } });
    const figures = serverFigures([{ current, previous }])!;
    expect(figures.node.eventsPerSecond).toBe(10);
    expect(figures.node.errorsPerSecond).toBe(0.5); // 4 -> 1: restarted, so 1 in 2 s
    expect(figures.targets.get('b/beta')).toMatchObject({ eventsPerSecond: 3, errorsPerSecond: 0 });
    expect(figures.targets.get('new/target')!.eventsPerSecond).toBe(2); // appeared since: it had counted nothing
  });

  it('adds up the gateways of one server, circuits at their worst, rates where known', () => {
    const a = {
      previous: sample(0, { accepted: 0 }, { t: { delivered: 0 } }),
      current: sample(1000, { accepted: 5, bufferEvents: 1 }, { t: { delivered: 2, inFlight: 1, circuit: 1 } }),
    };
    const b = { current: sample(1000, { accepted: 7, bufferEvents: 2 }, { t: { delivered: 3, inFlight: 4, circuit: 2, deadLetters: 1 } }) };
    const figures = serverFigures([a, b])!;
    expect(figures.node).toMatchObject({ eventsPerSecond: 5, accepted: 12, queueDepth: 3, openCircuits: 1 });
    expect(figures.targets.get('t')).toEqual({
      eventsPerSecond: 2,
      errorsPerSecond: 0,
      delivered: 5,
      queueDepth: 5,
      circuit: 'open',
      deadLetters: 1,
    });
  });

  it('has nothing for a server whose gateways all failed', () => {
    expect(serverFigures([])).toBeUndefined();
  });
});
