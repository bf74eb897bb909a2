// What subscribers are sent, encoded once per event whatever the number of streams: the gRPC
// services' event messages and the JSON an Argo Sensor reads.
import { defineEncoder } from '../../log/envelope.js';
import { encodeStreamedEvent } from '../../wire/event-codec.js';
import { legacyService } from '../../wire/protos.js';

/** mcp.v1.Event bytes with the event's log position, as StreamEvents and EventStream send them. */
export const V1_EVENT_ENCODER = defineEncoder(({ event, position }) => encodeStreamedEvent(event, position));

/** The JSON body an Argo Sensor sees (`jsonBody: true`): the event with `data` as a JSON value,
 * not a string, so Sensor filters can reach into it (body.data.document_id). */
export const ARGO_PAYLOAD_ENCODER = defineEncoder(({ event, position }) =>
  Buffer.from(
    `{"event_id":${JSON.stringify(event.event_id)},"event_type":${JSON.stringify(event.event_type)},` +
      `"source":${JSON.stringify(event.source)},"timestamp":${event.timestamp},"data":${event.data},` +
      `"metadata":${JSON.stringify(event.metadata)},"position":${position}}`,
  ),
);

/** Legacy mcp.MCPEvent bytes {id, data}. */
export const LEGACY_EVENT_ENCODER = defineEncoder(({ event }) =>
  legacyService.EventStream!.responseSerialize({ id: event.event_id, data: event.data }),
);
