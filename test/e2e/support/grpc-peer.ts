// gRPC peers that know only part of mcp.v1.MCPService, as older servers do: IngestEvent alone (the
// Go reference server, gateways before IngestEventBatch), or IngestEvent and IngestEventBatch
// (gateways before IngestEventBatchStream). Every other method answers UNIMPLEMENTED.
import * as grpc from '@grpc/grpc-js';
import { MCP_SERVICE } from '../../../gateway/wire/protos.js';

export interface SingleEventGrpcPeer {
  url: string;
  received: string[];
  /** IngestEventBatch calls answered. */
  batchCalls: number;
  close(): Promise<void>;
}

export async function startSingleEventGrpcPeer(options: { batch?: boolean } = {}): Promise<SingleEventGrpcPeer> {
  const server = new grpc.Server();
  const peer: SingleEventGrpcPeer = { url: '', received: [], batchCalls: 0, close: async () => {} };
  const IngestEvent = (call: grpc.ServerUnaryCall<{ event_id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    peer.received.push(call.request.event_id);
    callback(null, { event_id: call.request.event_id, success: true, status: 'accepted', message: 'ok', timestamp: Date.now() });
  };
  const IngestEventBatch = (call: grpc.ServerUnaryCall<{ events: { event_id: string }[] }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    peer.batchCalls++;
    peer.received.push(...call.request.events.map((e) => e.event_id));
    callback(null, { results: [], accepted: call.request.events.length, duplicates: 0, rejected: 0, refused: 0 });
  };
  server.addService(MCP_SERVICE, options.batch ? { IngestEvent, IngestEventBatch } : { IngestEvent });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  peer.url = `grpc://127.0.0.1:${port}`;
  peer.close = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return peer;
}
