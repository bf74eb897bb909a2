// The gateway's gRPC contracts, loaded once from proto/. Field names are kept as written
// (snake_case) so decoded messages are McpEvent-shaped; int64 arrives as a JS number.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_DIR } from '../../../src/paths.js';
import { defineEncoder } from '../../log/envelope.js';

export const PROTO_FILES = ['mcp/v1/mcp.proto', 'mcp.proto', 'argo/generic.proto'].map((file) => join(PROTO_DIR, file));

export const packageDefinition = protoLoader.loadSync([...PROTO_FILES, healthProtoPath], {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});

function serviceDefinition(name: string): grpc.ServiceDefinition {
  const definition = packageDefinition[name] as grpc.ServiceDefinition | undefined;
  if (!definition) throw new Error(`service ${name} is not in the loaded protos`);
  return definition;
}

/**
 * A copy of a service definition whose streaming responses may also be given as ready-encoded
 * Buffers: an event fanned out to a thousand subscribers is encoded once, not a thousand times.
 */
function withPreEncodedResponses(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const methods = Object.entries(definition).map(([method, attrs]) => {
    const serialize = attrs.responseSerialize;
    const passBuffers = (value: unknown) => (Buffer.isBuffer(value) ? value : serialize(value));
    return [method, attrs.responseStream ? { ...attrs, responseSerialize: passBuffers } : attrs] as const;
  });
  return Object.fromEntries(methods) as grpc.ServiceDefinition;
}

const mcpService = serviceDefinition('mcp.v1.MCPService');
const legacyService = serviceDefinition('mcp.Eventing');

export const MCP_SERVICE = withPreEncodedResponses(mcpService);
export const LEGACY_EVENTING_SERVICE = withPreEncodedResponses(legacyService);
export const ARGO_GENERIC_SERVICE = withPreEncodedResponses(serviceDefinition('generic.Eventing'));

/** mcp.v1.Event bytes with the event's log position, as StreamEvents and EventStream send them. */
export const V1_EVENT_ENCODER = defineEncoder(({ event, position }) => mcpService.StreamEvents!.responseSerialize({ ...event, position }));

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
