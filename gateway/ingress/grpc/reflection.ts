// Server reflection served from proto/descriptor-set.binpb: the descriptors exactly as a protoc
// (buf) compile of proto/ writes them, so grpcurl, Go clients and anything else built on
// protoc's rules can describe and call every service. proto-loader's own descriptors cannot be
// used: they name map entries `Metadata` (unqualified) where protoc writes
// `.mcp.v1.Event.MetadataEntry`, and grpcurl refuses them as invalid maps.
// Regenerate with `make descriptor-set` after changing proto/ (a test fails when they drift).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { PROTO_DIR } from '../../../src/paths.js';

export const DESCRIPTOR_SET_PATH = join(PROTO_DIR, 'descriptor-set.binpb');

/** The files of a serialized google.protobuf.FileDescriptorSet, each as FileDescriptorProto bytes. */
export function fileDescriptorProtos(set: Uint8Array): Buffer[] {
  const decoded = descriptor.FileDescriptorSet.decode(set) as unknown as { file: object[] };
  return decoded.file.map((file) => Buffer.from(descriptor.FileDescriptorProto.encode(file).finish()));
}

/** A reflection service over the given descriptor set (by default the gateway's own). */
export function createReflectionService(set: Uint8Array = readFileSync(DESCRIPTOR_SET_PATH)): ReflectionService {
  // @grpc/reflection reads only `fileDescriptorProtos` from a package definition's entries.
  const definition = { 'descriptor-set': { fileDescriptorProtos: fileDescriptorProtos(set) } } as unknown as PackageDefinition;
  return new ReflectionService(definition);
}
