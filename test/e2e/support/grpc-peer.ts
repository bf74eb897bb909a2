// A gRPC peer that knows only mcp.v1.MCPService/IngestEvent (as the Go reference server and
// gateways before IngestEventBatch): every other method answers UNIMPLEMENTED.
import * as grpc from '@grpc/grpc-js';
import { MCP_SERVICE } from '../../../gateway/wire/protos.js';

export interface SingleEventGrpcPeer {
  url: string;
  received: string[];
  close(): Promise<void>;
}

export async function startSingleEventGrpcPeer(): Promise<SingleEventGrpcPeer> {
  const server = new grpc.Server();
  const peer: SingleEventGrpcPeer = { url: '', received: [], close: async () => {} };
  server.addService(MCP_SERVICE, {
    IngestEvent: (call: grpc.ServerUnaryCall<{ event_id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      peer.received.push(call.request.event_id);
      callback(null, { event_id: call.request.event_id, success: true, status: 'accepted', message: 'ok', timestamp: Date.now() });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  peer.url = `grpc://127.0.0.1:${port}`;
  peer.close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return peer;
}
