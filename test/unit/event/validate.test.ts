import { describe, expect, it } from 'vitest';
import { LEGACY_EVENT_TYPE, LEGACY_SOURCE, normalizeTimestamp, validateEvent, type Validation } from '../../../src/event/index.js';

const options = { maxEventSize: 1024, now: () => 1_700_000_000_000 };
const good = { event_id: 'evt_1', event_type: 'document.uploaded', source: 'aether-be', data: '{"a":1}' };

function failure(result: Validation) {
  if (result.ok) throw new Error('expected a failure');
  return result;
}

describe('validateEvent: the full event', () => {
  it('accepts a valid event, fills timestamp and metadata, and reports its size', () => {
    const result = validateEvent(good, options);
    expect(result).toEqual({
      ok: true,
      event: { ...good, timestamp: 1_700_000_000_000, metadata: {} },
      size: expect.any(Number),
    });
  });

  it('keeps a given timestamp in milliseconds, also as a numeric string; 0 means now', () => {
    expect(validateEvent({ ...good, timestamp: 1_704_537_600_000 }, options)).toMatchObject({ event: { timestamp: 1_704_537_600_000 } });
    expect(validateEvent({ ...good, timestamp: '1704537600000' }, options)).toMatchObject({ event: { timestamp: 1_704_537_600_000 } });
    expect(validateEvent({ ...good, timestamp: 0 }, options)).toMatchObject({ event: { timestamp: 1_700_000_000_000 } });
  });

  it('takes a timestamp below 10^11 as seconds (10^11 ms is 1973; 10^11 s is the year 5138)', () => {
    expect(validateEvent({ ...good, timestamp: 1_704_537_600 }, options)).toMatchObject({ event: { timestamp: 1_704_537_600_000 } });
    expect(validateEvent({ ...good, timestamp: '42' }, options)).toMatchObject({ event: { timestamp: 42_000 } });
    expect(validateEvent({ ...good, timestamp: 99_999_999_999 }, options)).toMatchObject({ event: { timestamp: 99_999_999_999_000 } });
    expect(validateEvent({ ...good, timestamp: 100_000_000_000 }, options)).toMatchObject({ event: { timestamp: 100_000_000_000 } });
    expect(normalizeTimestamp(0)).toBe(0);
    // A legacy event's data may carry its time in seconds too.
    const legacy = validateEvent({ id: 'l', data: JSON.stringify({ timestamp: 1_704_537_600 }) }, options);
    expect(legacy).toMatchObject({ event: { timestamp: 1_704_537_600_000 } });
  });

  it.each([
    [{ ...good, event_id: '' }, 'event_id', /required/],
    [{ ...good, event_id: 7 }, 'event_id', /must be a string, got a number/],
    [{ ...good, event_id: 'x'.repeat(129) }, 'event_id', /at most 128/],
    [{ ...good, event_type: 'has space' }, 'event_type', /letters, digits/],
    [{ ...good, event_type: 'glob.*' }, 'event_type', /letters, digits/],
    [{ ...good, source: null }, 'source', /required/],
    [{ ...good, data: '' }, 'data', /required/],
    [{ ...good, data: '{' }, 'data', /JSON text/],
    [{ ...good, data: [] }, 'data', /string holding JSON text, got an array/],
    [{ ...good, timestamp: 1.5 }, 'timestamp', /milliseconds/],
    [{ ...good, metadata: 'x' }, 'metadata', /map of strings/],
    [{ ...good, metadata: { k: true } }, 'metadata.k', /must be a string/],
    [{ ...good, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata', /at most 64/],
  ])('rejects %j naming %s', (input, field, message) => {
    const result = failure(validateEvent(input, options));
    expect(result.reason).toBe('invalid');
    expect(result.field).toBe(field);
    expect(result.message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    expect(result.message).toMatch(message);
  });

  it('rejects an event over maxEventSize as too_large', () => {
    const result = failure(validateEvent({ ...good, data: JSON.stringify('x'.repeat(2000)) }, options));
    expect(result).toMatchObject({ reason: 'too_large', field: 'event' });
    expect(result.message).toMatch(/limit \(MAX_EVENT_SIZE\) is 1024/);
  });

  it('prefixes fields for batch items', () => {
    expect(failure(validateEvent({ ...good, source: '' }, options, 'events[2].')).field).toBe('events[2].source');
    expect(failure(validateEvent('nope', options, 'events[0].')).field).toBe('events[0]');
  });
});

describe('validateEvent: the legacy {id, data}', () => {
  it('takes type, source and time from the data when it has them', () => {
    const data = JSON.stringify({ type: 'context_update', source: 'agent-1', timestamp: '2024-01-01T12:00:00Z', payload: {} });
    expect(validateEvent({ id: 'ctx-001', data }, options)).toMatchObject({
      ok: true,
      event: { event_id: 'ctx-001', event_type: 'context_update', source: 'agent-1', timestamp: Date.parse('2024-01-01T12:00:00Z'), data },
    });
  });

  it("falls back to the Go reference server's legacy type and source", () => {
    expect(validateEvent({ id: 'ctx-002', data: '[1,2]' }, options)).toMatchObject({
      event: { event_type: 'legacy.event', source: 'legacy-api', timestamp: 1_700_000_000_000 },
    });
    expect([LEGACY_EVENT_TYPE, LEGACY_SOURCE]).toEqual(['legacy.event', 'legacy-api']);
    expect(validateEvent({ id: 'ctx-003', data: '{"type":"bad type!"}' }, options)).toMatchObject({ event: { event_type: LEGACY_EVENT_TYPE } });
  });

  it('names id and data when they are wrong', () => {
    expect(failure(validateEvent({ id: '', data: '{}' }, options)).field).toBe('id');
    expect(failure(validateEvent({ id: 'x'.repeat(200), data: '{}' }, options)).field).toBe('id');
    expect(failure(validateEvent({ id: 'x', data: 'nope' }, options)).field).toBe('data');
  });
});
