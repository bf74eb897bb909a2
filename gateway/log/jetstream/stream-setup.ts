// Creates the gateway's streams, or brings them to the configured settings, at every start:
// idempotent, so replicas starting together agree, and a setting JetStream cannot change in
// place (storage) is reported naming it.
import { nanos } from '@nats-io/nats-core';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { ConfigError } from '../../../src/config/index.js';
import { isStreamNotFound } from './errors.js';
import type { JetStreamSettings } from './settings.js';

/** Dead letters are kept at least this long, however short the events' own retention. */
const DEAD_LETTER_MIN_AGE_MS = 7 * 24 * 3_600_000;

export type StreamSpec = Pick<
  StreamConfig,
  | 'name'
  | 'subjects'
  | 'description'
  | 'retention'
  | 'discard'
  | 'storage'
  | 'num_replicas'
  | 'max_age'
  | 'max_bytes'
  | 'max_msgs'
  | 'max_msg_size'
  | 'duplicate_window'
  | 'allow_direct'
>;

export function eventsStreamSpec(settings: JetStreamSettings, maxEventSize: number): StreamSpec {
  const stream = settings.config.stream;
  return {
    name: settings.stream,
    subjects: [settings.eventsSubject],
    description: 'TAS MCP gateway event log',
    // A log with limits: the oldest events go first (subscribers behind them are told what they lost).
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: stream.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: stream.replicas,
    max_age: nanos(stream.maxAge),
    max_bytes: stream.maxBytes,
    max_msgs: stream.maxMessages === 0 ? -1 : stream.maxMessages,
    // The JSON form of an event can take twice its counted size (escaped data) plus headers.
    max_msg_size: 2 * maxEventSize + 64 * 1024,
    duplicate_window: nanos(stream.duplicateWindow),
    // Readers catch up with direct gets, without a consumer per reader.
    allow_direct: true,
  };
}

export function deadLetterStreamSpec(settings: JetStreamSettings, maxEntries: number, maxEventSize: number): StreamSpec {
  const stream = settings.config.stream;
  return {
    name: settings.deadLetterStream,
    subjects: [`${settings.deadLetterSubjectPrefix}.>`],
    description: 'TAS MCP gateway dead letters',
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: stream.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: stream.replicas,
    max_age: nanos(Math.max(stream.maxAge, DEAD_LETTER_MIN_AGE_MS)),
    max_bytes: -1,
    max_msgs: maxEntries,
    max_msg_size: 2 * maxEventSize + 64 * 1024,
    duplicate_window: nanos(stream.duplicateWindow),
    allow_direct: true,
  };
}

/** The fields of `spec` that differ from the stream as it is. */
export function differences(spec: StreamSpec, current: StreamConfig): (keyof StreamSpec)[] {
  return (Object.keys(spec) as (keyof StreamSpec)[]).filter((key) => JSON.stringify(spec[key]) !== JSON.stringify(current[key]));
}

/** Creates the stream, or updates what differs. Returns what it did, for the log. */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<'created' | 'updated' | 'unchanged'> {
  let current: StreamConfig | undefined;
  try {
    current = (await jsm.streams.info(spec.name)).config;
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
  }
  try {
    if (!current) {
      await jsm.streams.add(spec);
      return 'created';
    }
    const changed = differences(spec, current);
    if (changed.length === 0) return 'unchanged';
    if (changed.includes('storage')) {
      throw new ConfigError(
        'bus.jetstream.stream.storage',
        `stream ${spec.name} exists with ${current.storage} storage; JetStream cannot change storage in place (delete the stream, or keep ${current.storage})`,
      );
    }
    await jsm.streams.update(spec.name, Object.assign({}, current, spec));
    return 'updated';
  } catch (error) {
    throw explainStreamError(error as Error, spec);
  }
}

function explainStreamError(error: Error, spec: StreamSpec): Error {
  if (error instanceof ConfigError || !(error instanceof JetStreamApiError)) return error;
  const description = error.message;
  if (/insufficient resources|replicas/i.test(description)) {
    return new ConfigError(
      'bus.jetstream.stream.replicas',
      `stream ${spec.name} with ${spec.num_replicas} replicas: ${description} (a JetStream cluster needs at least as many servers)`,
    );
  }
  if (/subjects overlap/i.test(description)) {
    return new ConfigError(
      'bus.jetstream.stream.subjectPrefix',
      `stream ${spec.name}: ${description} (another stream already takes ${spec.subjects.join(', ')})`,
    );
  }
  if (/maximum bytes|storage|resources/i.test(description)) {
    return new ConfigError('bus.jetstream.stream.maxBytes', `stream ${spec.name}: ${description}`);
  }
  return new Error(`cannot create or update stream ${spec.name}: ${description}`);
}
