// MCP events as CloudEvents 1.0 in HTTP binary mode (Argo webhook EventSources, Knative
// brokers): event_id -> id, source -> source, event_type -> type, timestamp (ms) -> time,
// data -> body, metadata -> extensions with names folded to [a-z0-9]{1,20}.
import type { McpEvent } from './model.js';

const CONTEXT_ATTRIBUTES = new Set(['id', 'source', 'type', 'time', 'specversion', 'datacontenttype', 'dataschema', 'subject', 'data']);

/** A metadata key as a CloudEvents extension name, or undefined when nothing usable is left. */
export function extensionName(key: string): string | undefined {
  const folded = key
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  if (folded === '') return undefined;
  return CONTEXT_ATTRIBUTES.has(folded) ? `x${folded}`.slice(0, 20) : folded;
}

/** CloudEvents HTTP binding: space, '"', '%' and anything outside printable ASCII are
 * percent-encoded as UTF-8. */
export function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21\x23\x24\x26-\x7e]/gu, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD, as a decoder would show it
    }
  });
}

/** Headers and body of the binary-mode HTTP request for an event. */
export function toBinaryCloudEvent(event: McpEvent): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': encodeHeaderValue(event.event_id),
    'ce-source': encodeHeaderValue(event.source),
    'ce-type': encodeHeaderValue(event.event_type),
    'ce-time': new Date(event.timestamp).toISOString(),
    'content-type': 'application/json',
  };
  for (const [key, value] of Object.entries(event.metadata)) {
    const name = extensionName(key);
    // First writer wins where two keys fold to one name.
    if (name && headers[`ce-${name}`] === undefined) headers[`ce-${name}`] = encodeHeaderValue(value);
  }
  return { headers, body: event.data };
}

/** The event as one CloudEvent in structured mode (JSON), as an element of a batch
 * (application/cloudevents-batch+json). `data` is the event's JSON text, embedded as JSON. */
export function structuredCloudEventJson(event: McpEvent): string {
  const attributes: Record<string, string> = {
    specversion: '1.0',
    id: event.event_id,
    source: event.source,
    type: event.event_type,
    time: new Date(event.timestamp).toISOString(),
    datacontenttype: 'application/json',
  };
  for (const [key, value] of Object.entries(event.metadata)) {
    const name = extensionName(key);
    if (name && attributes[name] === undefined) attributes[name] = value;
  }
  const head = JSON.stringify(attributes);
  return `${head.slice(0, -1)},"data":${event.data}}`;
}
