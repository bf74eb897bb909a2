// The gateway's gRPC contracts, loaded once from proto/, for every side that speaks them (the
// gRPC server, the gRPC forwarding sender, tests). Field names are kept as written (snake_case)
// so decoded messages are McpEvent-shaped; int64 arrives as a JS number.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_DIR } from '../../src/paths.js';

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
    return [method, attrs.responseStream ? Object.assign({}, attrs, { responseSerialize: passBuffers }) : attrs] as const;
  });
  return Object.fromEntries(methods) as grpc.ServiceDefinition;
}

/** The services as loaded (their serializers as protobufjs made them). */
export const mcpService = serviceDefinition('mcp.v1.MCPService');
export const legacyService = serviceDefinition('mcp.Eventing');

export const MCP_SERVICE = withPreEncodedResponses(mcpService);
export const LEGACY_EVENTING_SERVICE = withPreEncodedResponses(legacyService);
export const ARGO_GENERIC_SERVICE = withPreEncodedResponses(serviceDefinition('generic.Eventing'));
