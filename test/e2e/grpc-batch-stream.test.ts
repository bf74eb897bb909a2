// MCPService/IngestEventBatchStream against a real gateway process with a real grpc-js client: one
// answer per batch, in order, per event as IngestEventBatch answers; a batch over MAX_BATCH_SIZE
// ends the stream with OUT_OF_RANGE after the answers before it; a stopping gateway ends the stream
// with UNAVAILABLE itself instead of holding its shutdown until the grace period runs out.
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { collect, mcpClient, waitFor } from './support/grpc-clients.js';

interface BatchResponse {
  results: { event_id: string; status: string; error: string; field: string }[];
  accepted: number;
  duplicates: number;
  rejected: number;
  refused: number;
}

const gateways: GatewayProcess[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const gateway of gateways.splice(0)) await gateway.stop();
});

async function openStream(env: Record<string, string> = {}) {
  const gateway = await startGateway({ env });
  gateways.push(gateway);
  const client = mcpClient(gateway.grpcAddress);
  clients.push(client);
  const stream = client.IngestEventBatchStream() as grpc.ClientDuplexStream<unknown, BatchResponse>;
  const ended = collect<BatchResponse>(stream);
  return { gateway, stream, ended };
}

const event = (id: string, fields: Record<string, unknown> = {}) => ({
  event_id: id,
  event_type: 'batch.stream',
  source: 'grpc-batch-stream-test',
  data: JSON.stringify({ id }),
  metadata: {},
  ...fields,
});

describe('IngestEventBatchStream', () => {
  it('answers every batch once, in order, per event', async () => {
    const { stream, ended } = await openStream();
    stream.write({ events: [event('s-1'), event('s-2')] });
    stream.write({ events: [event('s-2'), event('s-3', { event_type: '' }), event('s-4')] });
    stream.write({ events: [event('s-5')] });
    stream.end();
    const { messages, status } = await ended;
    expect(status.code).toBe(0);
    expect(messages.map((m) => [m.accepted, m.duplicates, m.rejected, m.refused])).toEqual([
      [2, 0, 0, 0],
      [1, 1, 1, 0],
      [1, 0, 0, 0],
    ]);
    // A batch that was taken whole is answered by its counts alone.
    expect(messages[0]!.results).toEqual([]);
    expect(messages[1]!.results.map((r) => [r.event_id, r.status, r.field])).toEqual([
      ['s-2', 'duplicate', ''],
      ['s-3', 'rejected', 'events[1].event_type'],
      ['s-4', 'accepted', ''],
    ]);
  });

  it('a batch over MAX_BATCH_SIZE ends the stream with OUT_OF_RANGE after the answers before it', async () => {
    const { stream, ended } = await openStream({ MAX_BATCH_SIZE: '3' });
    stream.write({ events: [event('m-1')] });
    stream.write({ events: ['m-2', 'm-3', 'm-4', 'm-5'].map((id) => event(id)) });
    stream.write({ events: [event('m-6')] });
    const { messages, status } = await ended;
    expect(messages.map((m) => m.accepted)).toEqual([1]);
    expect(status.code).toBe(11); // OUT_OF_RANGE
    expect(status.details).toMatch(/a batch holds 1 to 3 events \(MAX_BATCH_SIZE/);
    expect(status.metadata.get('x-mcp-max-batch')).toEqual(['3']);
  });

  it('a stopping gateway ends the stream with UNAVAILABLE, after answering what it read', async () => {
    const { gateway, stream, ended } = await openStream({ SHUTDOWN_GRACE_PERIOD: '60s' });
    const answers: BatchResponse[] = [];
    stream.on('data', (answer: BatchResponse) => answers.push(answer));
    stream.write({ events: [event('d-1')] });
    await waitFor(answers, (all) => all.length === 1);
    const exited = gateway.stop();
    const { status } = await ended;
    expect(status.code).toBe(14); // UNAVAILABLE
    expect(status.details).toMatch(/shutting down/);
    expect(answers.map((a) => a.accepted)).toEqual([1]);
    expect(await exited).toBe(0);
  });
});
