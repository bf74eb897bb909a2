// The descriptor set served over reflection (proto/descriptor-set.binpb) describes exactly the
// messages and services the gateway loads from proto/, with protoc's names: an edited .proto
// without `make descriptor-set` fails here, and so would proto-loader's map entry names.
import { readFileSync } from 'node:fs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { describe, expect, it } from 'vitest';
import { packageDefinition } from '../../../../gateway/wire/protos.js';
import { DESCRIPTOR_SET_PATH, fileDescriptorProtos } from '../../../../gateway/ingress/grpc/reflection.js';

interface Field {
  name: string;
  number: number;
  typeName?: string;
}
interface Message {
  name: string;
  field?: Field[];
  nestedType?: Message[];
  options?: { mapEntry?: boolean };
}
interface File {
  name: string;
  package: string;
  messageType?: Message[];
  service?: { name: string; method: { name: string; inputType: string; outputType: string }[] }[];
}

const files = fileDescriptorProtos(readFileSync(DESCRIPTOR_SET_PATH)).map(
  (bytes) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as File,
);

/** Every message (nested ones too) by full name, with its fields. */
function messages(): Map<string, Message> {
  const all = new Map<string, Message>();
  const visit = (prefix: string, message: Message) => {
    all.set(`${prefix}.${message.name}`, message);
    for (const nested of message.nestedType ?? []) visit(`${prefix}.${message.name}`, nested);
  };
  for (const file of files) for (const message of file.messageType ?? []) visit(file.package, message);
  return all;
}

describe('the reflection descriptor set', () => {
  it('holds the files protoc names, for every package the gateway serves', () => {
    expect(files.map((f) => f.name).sort()).toEqual(['argo/generic.proto', 'health/v1/health.proto', 'mcp.proto', 'mcp/v1/mcp.proto']);
  });

  it('names map entries as protoc does, with fully qualified type names', () => {
    const event = messages().get('mcp.v1.Event')!;
    expect(event.field!.find((f) => f.name === 'metadata')).toMatchObject({ typeName: '.mcp.v1.Event.MetadataEntry' });
    expect(event.nestedType).toEqual([expect.objectContaining({ name: 'MetadataEntry', options: { mapEntry: true } })]);
    expect(
      messages()
        .get('mcp.v1.HealthCheckResponse')!
        .field!.find((f) => f.name === 'details'),
    ).toMatchObject({
      typeName: '.mcp.v1.HealthCheckResponse.DetailsEntry',
    });
    for (const [name, message] of messages()) {
      for (const field of message.field ?? []) {
        if (field.typeName !== undefined) expect(field.typeName, `${name}.${field.name}`).toMatch(/^\./);
      }
    }
  });

  it('has every message, field and method of the protos the gateway loads (regenerate with make descriptor-set)', () => {
    const served = messages();
    const checked = { messages: 0, services: 0 };
    for (const [name, entry] of Object.entries(packageDefinition)) {
      const type = (entry as { type?: { field?: Field[] } }).type;
      if ('format' in (entry as object) && type) {
        const message = served.get(name);
        expect(message, `message ${name}`).toBeDefined();
        const fields = (message!.field ?? []).map((f) => `${f.name}=${f.number}`).sort();
        expect(fields, name).toEqual((type.field ?? []).map((f) => `${f.name}=${f.number}`).sort());
        checked.messages++;
      } else if (!('format' in (entry as object))) {
        const methods = Object.keys(entry as object).sort();
        const service = files.flatMap((f) => (f.service ?? []).map((s) => [`${f.package}.${s.name}`, s] as const)).find(([full]) => full === name);
        expect(service, `service ${name}`).toBeDefined();
        expect(service![1].method.map((m) => m.name).sort(), name).toEqual(methods);
        checked.services++;
      }
    }
    // mcp.v1 (11 messages, 1 service), mcp (1, 1), generic (2, 1), grpc.health.v1 (4, 1).
    expect(checked).toEqual({ messages: 18, services: 4 });
  });
});
