// Argo Events' generic EventSource (generic.Eventing/StartEventSource): an Argo EventSource of
// type `generic` pointed at the gateway receives every event of the log as JSON, at full rate,
// through the same cursor as any subscriber. Argo sends only its name, so the gateway keeps a
// position per EventSource name (and tenant): a reconnecting EventSource continues where its
// stream stopped, at least once (see resume-cursors.ts). Its `config` may narrow the stream:
//   eventTypes: ["document.*"]      # exact names or prefix globs; absent = everything
import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { parse } from 'yaml';
import { checkTypePattern, compileTypeFilter } from '../../../src/event/index.js';
import type { Envelope } from '../../log/envelope.js';
import type { LogSource } from '../../log/event-log.js';
import { resumableTransport, type CursorStore } from '../../subscribers/resume-cursors.js';
import type { Subscriptions } from '../../subscribers/subscriptions.js';
import { callerOf } from './auth-guard.js';
import { ARGO_PAYLOAD_ENCODER } from './encoders.js';
import { subscriptionRefusalStatus, unexpectedErrorStatus } from './status-map.js';
import { grpcSubscriberTransport } from './subscriber-transport.js';

interface EventSourceRequest {
  name: string;
  config: Buffer;
}

/** The EventSource config, or the problem with it. */
export function parseGenericConfig(config: Buffer): { eventTypes: string[] } | { error: string } {
  const text = config.toString('utf8').trim();
  if (text === '') return { eventTypes: [] };
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    return { error: `config: not YAML or JSON: ${(error as Error).message}` };
  }
  if (parsed === null || parsed === undefined) return { eventTypes: [] };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'config: expected a mapping such as {eventTypes: ["document.*"]}' };
  const { eventTypes, ...rest } = parsed as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return { error: `config: unknown setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}; only eventTypes is read` };
  if (eventTypes === undefined) return { eventTypes: [] };
  if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string')) return { error: 'config: eventTypes must be a list of strings' };
  for (const pattern of eventTypes as string[]) {
    const problem = checkTypePattern(pattern);
    if (problem) return { error: `config: eventTypes: ${problem}` };
  }
  return { eventTypes: eventTypes as string[] };
}

/** Varint of a length, as protobuf writes it. */
function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

/**
 * generic.Event{name = 1, payload = 2}, written by hand: the payload is encoded once per event
 * (ARGO_PAYLOAD_ENCODER) and only this frame differs between EventSources.
 */
export function genericEventEncoder(name: string): (envelope: Envelope) => Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const prefix = nameBytes.length > 0 ? Buffer.concat([Buffer.from([0x0a]), varint(nameBytes.length), nameBytes]) : Buffer.alloc(0);
  return (envelope) => {
    const payload = envelope.encoded(ARGO_PAYLOAD_ENCODER);
    return Buffer.concat([prefix, Buffer.from([0x12]), varint(payload.length), payload]);
  };
}

/** The cursor key of an EventSource: its name within its tenant (JetStream KV key characters only). */
export function cursorKey(name: string, tenant: string | undefined): string {
  return Buffer.from(`${tenant ?? ''}\u0000${name}`).toString('base64url') || '_';
}

export function createArgoGenericService(deps: {
  subscriptions: Subscriptions;
  cursors: CursorStore;
  log: LogSource;
}): grpc.UntypedServiceImplementation {
  // grpc-js ignores a handler's promise: an unexpected throw must still end the call.
  const StartEventSource: grpc.handleServerStreamingCall<EventSourceRequest, unknown> = (call) => {
    startEventSource(call).catch((error: unknown) => call.emit('error', unexpectedErrorStatus(error)));
  };
  const startEventSource = async (call: grpc.ServerWritableStream<EventSourceRequest, unknown>): Promise<void> => {
    const config = parseGenericConfig(call.request.config ?? Buffer.alloc(0));
    if ('error' in config) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: config.error });
      return;
    }
    const name = call.request.name ?? '';
    // A caller bound to a tenant sees only that tenant's events, as on every other stream.
    const tenant = callerOf(call).tenant;
    const key = cursorKey(name, tenant);
    let resumeAfter: number | undefined;
    try {
      resumeAfter = await deps.cursors.get(key);
    } catch (error) {
      call.emit('error', {
        code: status.UNAVAILABLE,
        details: `cannot read where EventSource ${JSON.stringify(name)} stopped: ${(error as Error).message}`,
      });
      return;
    }
    if (call.cancelled) return;
    const startedAfter = resumeAfter ?? deps.log.livePosition;
    const opened = deps.subscriptions.open({
      kind: 'argo_generic',
      transport: resumableTransport(grpcSubscriberTransport(call, genericEventEncoder(name)), deps.cursors, key, startedAfter),
      filter: compileTypeFilter(config.eventTypes),
      tenant,
      // A name seen before continues after what it was sent; a new one starts at the live end.
      start: { after: startedAfter },
    });
    if (!opened.ok) call.emit('error', subscriptionRefusalStatus(opened.reason, opened.message));
  };
  return { StartEventSource } as grpc.UntypedServiceImplementation;
}
