import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../../src/api/index.js';
import { conditionEvents, isHealthy, nextConditions } from '../../../../operator/status/conditions.js';

const at = new Date('2026-01-02T03:04:05.678Z');
const condition = (type: string, status: 'True' | 'False', reason: string): Condition => ({
  type,
  status,
  reason,
  message: `${type} is ${status}`,
  observedGeneration: 1,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe('conditions', () => {
  it('keeps the transition time of an unchanged condition and moves it when the status changes', () => {
    const previous = [condition('Ready', 'True', 'Available'), condition('Degraded', 'False', 'AsExpected')];
    const next = nextConditions(
      previous,
      [
        { type: 'Ready', status: true, reason: 'Available', message: '1/1' },
        { type: 'Degraded', status: true, reason: 'InvalidConfiguration', message: 'bad' },
      ],
      2,
      at,
    );
    expect(next.map((c) => [c.type, c.status, c.lastTransitionTime, c.observedGeneration])).toEqual([
      ['Ready', 'True', '2026-01-01T00:00:00Z', 2],
      ['Degraded', 'True', '2026-01-02T03:04:05Z', 2],
    ]);
  });

  it('records a finished rollout as a Normal Event, a lost Ready as a Warning', () => {
    const previous = [condition('Ready', 'True', 'Available'), condition('Progressing', 'True', 'RollingOut')];
    const next = [condition('Ready', 'False', 'PodsNotReady'), condition('Progressing', 'False', 'RolloutComplete')];
    expect(conditionEvents(previous, next)).toEqual([
      { type: 'Warning', reason: 'PodsNotReady', note: 'Ready=False: Ready is False' },
      { type: 'Normal', reason: 'RolloutComplete', note: 'Progressing=False: Progressing is False' },
    ]);
  });

  it("says nothing of a new object's first conditions unless something is wrong", () => {
    const first = [
      condition('Ready', 'False', 'PodsNotReady'),
      condition('Progressing', 'True', 'Creating'),
      condition('Degraded', 'True', 'SecretNotFound'),
      condition('PeersResolved', 'True', 'AllPeersResolved'),
    ];
    expect(conditionEvents(undefined, first)).toEqual([{ type: 'Warning', reason: 'SecretNotFound', note: 'Degraded=True: Degraded is True' }]);
    expect(conditionEvents(first, first)).toEqual([]);
  });

  it('SharedLog: a memory log under several pods is news at once, a JetStream server without pods yet is not; a new reason is news', () => {
    expect(conditionEvents(undefined, [condition('SharedLog', 'False', 'MemoryBus')])).toEqual([
      { type: 'Warning', reason: 'MemoryBus', note: 'SharedLog=False: SharedLog is False' },
    ]);
    expect(conditionEvents(undefined, [condition('SharedLog', 'False', 'NoPodConnected')])).toEqual([]);
    expect(conditionEvents(undefined, [condition('SharedLog', 'True', 'SinglePod')])).toEqual([]);
    // Same status, another reason: a JetStream server switched to memory with two replicas.
    expect(conditionEvents([condition('SharedLog', 'False', 'NoPodConnected')], [condition('SharedLog', 'False', 'MemoryBus')])).toEqual([
      { type: 'Warning', reason: 'MemoryBus', note: 'SharedLog=False: SharedLog is False' },
    ]);
    expect(conditionEvents([condition('SharedLog', 'False', 'MemoryBus')], [condition('SharedLog', 'False', 'MemoryBus')])).toEqual([]);
    expect(conditionEvents([condition('SharedLog', 'False', 'NoPodConnected')], [condition('SharedLog', 'True', 'LogConnected')])).toEqual([
      { type: 'Normal', reason: 'LogConnected', note: 'SharedLog=True: SharedLog is True' },
    ]);
    // Other kinds still report status changes only.
    expect(conditionEvents([condition('Ready', 'False', 'PodsNotReady')], [condition('Ready', 'False', 'NoPodConnected')])).toEqual([]);
  });

  it("knows each condition type's healthy status, and refuses a type it does not know", () => {
    expect(isHealthy({ type: 'Degraded', status: 'False' })).toBe(true);
    expect(isHealthy({ type: 'Degraded', status: 'True' })).toBe(false);
    expect(isHealthy({ type: 'Accepted', status: 'False' })).toBe(false);
    expect(isHealthy({ type: 'Progressing', status: 'True' })).toBe(true);
    expect(() => isHealthy({ type: 'Frobnicated', status: 'True' })).toThrow(/Frobnicated/);
  });
});
