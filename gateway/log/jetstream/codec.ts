// An event as a NATS message: the event's JSON as the payload (readable with the nats CLI), its
// id as JetStream's message id (de-duplication across replicas), and the stream that sent it, so
// no replica echoes an event back to its sender.
import { headers, type MsgHdrs } from '@nats-io/nats-core';
import type { McpEvent } from '../../../src/event/index.js';
import { Envelope } from '../envelope.js';

export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const ORIGIN_HEADER = 'Mcp-Origin';

const decoder = new TextDecoder();

export function encodeEvent(event: McpEvent): Uint8Array {
  return Buffer.from(JSON.stringify(event));
}

export function eventHeaders(event: McpEvent, origin: string | undefined): MsgHdrs {
  const h = headers();
  h.set(MSG_ID_HEADER, event.event_id);
  if (origin !== undefined) h.set(ORIGIN_HEADER, origin);
  return h;
}

/** The event a stored message holds, or undefined for one that is not an event (written by something else). */
export function decodeEvent(data: Uint8Array): McpEvent | undefined {
  try {
    const value = JSON.parse(decoder.decode(data)) as Partial<McpEvent> | null;
    if (
      typeof value !== 'object' ||
      value === null ||
      typeof value.event_id !== 'string' ||
      typeof value.event_type !== 'string' ||
      typeof value.source !== 'string' ||
      typeof value.timestamp !== 'number' ||
      typeof value.data !== 'string' ||
      typeof value.metadata !== 'object' ||
      value.metadata === null
    ) {
      return undefined;
    }
    return value as McpEvent;
  } catch {
    return undefined;
  }
}

/** A stored message as a log entry; undefined when it holds no event. */
export function toEnvelope(data: Uint8Array, position: number, storedAtMs: number, header: MsgHdrs | undefined): Envelope | undefined {
  const event = decodeEvent(data);
  if (!event) return undefined;
  const origin = header?.get(ORIGIN_HEADER);
  return new Envelope(event, position, storedAtMs, origin === '' || origin === undefined ? undefined : origin);
}
