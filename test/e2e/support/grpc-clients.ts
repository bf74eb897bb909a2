// Real grpc-js clients for the gateway's services, built from the same proto files.
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../../gateway/wire/protos.js';

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
  mcp: {
    v1: { MCPService: grpc.ServiceClientConstructor };
    Eventing: grpc.ServiceClientConstructor;
  };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  generic: { Eventing: grpc.ServiceClientConstructor };
};

/** Each client gets its own connection, as separate applications would. */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

export function mcpClient(address: string): grpc.Client & Record<string, any> {
  return new loaded.mcp.v1.MCPService(address, grpc.credentials.createInsecure(), OWN_CONNECTION) as any;
}

export function legacyClient(address: string): grpc.Client & Record<string, any> {
  return new loaded.mcp.Eventing(address, grpc.credentials.createInsecure(), OWN_CONNECTION) as any;
}

/** A client of Argo's generic EventSource service, as Argo's `generic` EventSource dials it. */
export function argoGenericClient(address: string): grpc.Client & Record<string, any> {
  return new loaded.generic.Eventing(address, grpc.credentials.createInsecure(), OWN_CONNECTION) as any;
}

export function healthClient(address: string): grpc.Client & Record<string, any> {
  return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure(), OWN_CONNECTION) as any;
}

export function unary<Res>(client: Record<string, any>, method: string, request: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](request, (error: grpc.ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)));
  });
}

/** Collects a server stream's messages until it ends; resolves with them and the final status. */
export function collect<T>(stream: grpc.ClientReadableStream<T>): Promise<{ messages: T[]; status: grpc.StatusObject | grpc.ServiceError }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    let error: grpc.ServiceError | undefined;
    stream.on('data', (message: T) => messages.push(message));
    stream.on('error', (e: grpc.ServiceError) => (error = e));
    stream.on('status', (status: grpc.StatusObject) => {
      // 'status' fires after the last message; with an error status, 'error' fires too.
      setImmediate(() => resolve({ messages, status: error ?? status }));
    });
  });
}

/** Resolves once `predicate` holds over the messages received so far. */
export function waitFor<T>(messages: T[], predicate: (all: T[]) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate(messages)) resolve();
      else if (Date.now() > deadline) reject(new Error(`condition not met in ${timeoutMs} ms; have ${messages.length} messages`));
      else setTimeout(check, 10);
    };
    check();
  });
}

/** Call metadata from plain pairs, e.g. {'x-api-key': key} or {authorization: `Bearer ${token}`}. */
export function metadataOf(pairs: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(pairs)) metadata.set(key, value);
  return metadata;
}

/** A unary call with metadata; rejects with the ServiceError. */
export function unaryWith<Res>(client: Record<string, any>, method: string, request: unknown, metadata: grpc.Metadata): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, (error: grpc.ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)));
  });
}
