// Edge validation of incoming events, written out by hand because it runs once per event on the
// hot path. Accepts the full mcp.v1 event and the legacy seed-000 {id, data}; every failure
// names the field at fault. Inside the gateway, a validated McpEvent is trusted.
import { EVENT_LIMITS, LEGACY_EVENT_TYPE, LEGACY_SOURCE, eventSize, normalizeTimestamp, type McpEvent } from './model.js';

export type RejectReason = 'invalid' | 'too_large';

export type Validation = { ok: true; event: McpEvent; size: number } | { ok: false; reason: RejectReason; field: string; message: string };

export interface ValidateOptions {
  maxEventSize: number;
  /** Clock for events without a timestamp; injectable for tests. */
  now?: () => number;
}

/** event_type: starts with a letter or digit, then letters, digits and . _ - : / */
const EVENT_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

class Rejection {
  constructor(
    readonly reason: RejectReason,
    readonly field: string,
    readonly message: string,
  ) {}
}

function fail(field: string, message: string): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- control flow for bad input, caught below; no stack needed
  throw new Rejection('invalid', field, message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function requiredString(value: unknown, field: string, maxLength: number): string {
  if (value === undefined || value === null || value === '') fail(field, 'is required');
  if (typeof value !== 'string') fail(field, `must be a string, got ${describe(value)}`);
  if (value.length > maxLength) fail(field, `must be at most ${maxLength} characters, got ${value.length}`);
  return value;
}

function jsonText(value: unknown, field: string): unknown {
  if (value === undefined || value === null || value === '') fail(field, 'is required (JSON text)');
  if (typeof value !== 'string') fail(field, `must be a string holding JSON text, got ${describe(value)}`);
  try {
    return JSON.parse(value);
  } catch (error) {
    return fail(field, `must be JSON text: ${(error as Error).message}`);
  }
}

function eventType(value: unknown, field: string): string {
  const text = requiredString(value, field, EVENT_LIMITS.typeLength);
  if (!EVENT_TYPE_PATTERN.test(text)) {
    fail(field, 'must start with a letter or digit and hold only letters, digits and . _ - : /');
  }
  return text;
}

function timestamp(value: unknown, field: string, now: () => number): number {
  if (value === undefined || value === null || value === 0 || value === '0' || value === '') return now();
  // proto3 int64 arrives as a number (longs: Number); JSON clients sometimes send it as a string.
  const millis = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof millis !== 'number' || !Number.isSafeInteger(millis) || millis < 0) {
    fail(field, `must be Unix time in milliseconds, or in seconds below 10^11 (a non-negative integer), got ${JSON.stringify(value)}`);
  }
  return normalizeTimestamp(millis);
}

function metadata(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(field, `must be a map of strings, got ${describe(value)}`);
  const entries = value as Record<string, unknown>;
  let count = 0;
  for (const key in entries) {
    if (++count > EVENT_LIMITS.metadataEntries) fail(field, `must hold at most ${EVENT_LIMITS.metadataEntries} entries`);
    if (key.length === 0 || key.length > EVENT_LIMITS.metadataKeyLength) {
      fail(field, `keys must be 1 to ${EVENT_LIMITS.metadataKeyLength} characters`);
    }
    const entry = entries[key];
    if (typeof entry !== 'string') fail(`${field}.${key}`, `must be a string, got ${describe(entry)}`);
    if (entry.length > EVENT_LIMITS.metadataValueLength) {
      fail(`${field}.${key}`, `must be at most ${EVENT_LIMITS.metadataValueLength} characters`);
    }
  }
  return entries as Record<string, string>;
}

function fromFull(input: Record<string, unknown>, prefix: string, now: () => number): McpEvent {
  const event_id = requiredString(input.event_id, `${prefix}event_id`, EVENT_LIMITS.idLength);
  const event_type = eventType(input.event_type, `${prefix}event_type`);
  const source = requiredString(input.source, `${prefix}source`, EVENT_LIMITS.sourceLength);
  const data = input.data as string;
  jsonText(data, `${prefix}data`);
  return {
    event_id,
    event_type,
    source,
    timestamp: timestamp(input.timestamp, `${prefix}timestamp`, now),
    data,
    metadata: metadata(input.metadata, `${prefix}metadata`),
  };
}

/** Legacy {id, data}: type, source and time come from the data's own fields when it has them. */
function fromLegacy(input: Record<string, unknown>, prefix: string, now: () => number): McpEvent {
  const event_id = requiredString(input.id, `${prefix}id`, EVENT_LIMITS.idLength);
  const data = input.data as string;
  const payload = jsonText(data, `${prefix}data`) as Record<string, unknown> | null;
  const inner = typeof payload === 'object' && payload !== null ? payload : {};
  const type = inner.type;
  const source = inner.source;
  const stamped = inner.timestamp;
  const time = typeof stamped === 'string' ? Date.parse(stamped) : Number.isSafeInteger(stamped) ? normalizeTimestamp(stamped as number) : NaN;
  return {
    event_id,
    event_type: typeof type === 'string' && type.length <= EVENT_LIMITS.typeLength && EVENT_TYPE_PATTERN.test(type) ? type : LEGACY_EVENT_TYPE,
    source: typeof source === 'string' && source !== '' && source.length <= EVENT_LIMITS.sourceLength ? source : LEGACY_SOURCE,
    timestamp: Number.isFinite(time) && time >= 0 ? time : now(),
    data,
    metadata: {},
  };
}

/** True when the body is the legacy {id, data} shape rather than the full event. */
export function isLegacyShape(input: Record<string, unknown>): boolean {
  return input.event_id === undefined && input.id !== undefined;
}

/**
 * Validates one event from JSON or a decoded proto message. `prefix` is put before field names
 * in messages (for batch items: "events[3].").
 */
export function validateEvent(input: unknown, options: ValidateOptions, prefix = ''): Validation {
  const now = options.now ?? Date.now;
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      fail(prefix === '' ? 'body' : prefix.replace(/\.$/, ''), `must be a JSON object, got ${describe(input)}`);
    }
    const record = input as Record<string, unknown>;
    const event = isLegacyShape(record) ? fromLegacy(record, prefix, now) : fromFull(record, prefix, now);
    const size = eventSize(event);
    if (size > options.maxEventSize) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- as in fail()
      throw new Rejection(
        'too_large',
        prefix === '' ? 'event' : prefix.replace(/\.$/, ''),
        `is ${size} bytes; the limit (MAX_EVENT_SIZE) is ${options.maxEventSize}`,
      );
    }
    return { ok: true, event, size };
  } catch (error) {
    if (error instanceof Rejection) {
      return { ok: false, reason: error.reason, field: error.field, message: `${error.field}: ${error.message}` };
    }
    throw error;
  }
}
