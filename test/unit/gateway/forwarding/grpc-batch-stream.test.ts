import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchStream, type BatchResponse, type StreamResult } from '../../../../gateway/forwarding/grpc-batch-stream.js';

/** A stand-in for grpc-js's client duplex call: records writes, lets the test play the peer. */
class FakeCall extends EventEmitter {
  readonly written: Buffer[] = [];
  cancelled = false;
  halfClosed = false;
  end(): void {
    this.halfClosed = true;
  }
  write(batch: Buffer): boolean {
    this.written.push(batch);
    return true;
  }
  cancel(): void {
    this.cancelled = true;
  }
}

const answer = (accepted: number): BatchResponse => ({ results: [], accepted, duplicates: 0 });
const codeOf = (result: StreamResult) => ('status' in result ? grpc.status[result.status.code] : 'answered');

function open() {
  const call = new FakeCall();
  const ended = vi.fn();
  const stream = new BatchStream(call as unknown as grpc.ClientDuplexStream<Buffer, BatchResponse>, ended);
  return { call, ended, stream };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BatchStream', () => {
  it('settles each batch with the answer that comes back in its turn', async () => {
    const { call, stream } = open();
    const first = stream.send(Buffer.from('a'), 1000);
    const second = stream.send(Buffer.from('b'), 1000);
    expect(call.written.map(String)).toEqual(['a', 'b']);
    call.emit('data', answer(1));
    call.emit('data', answer(2));
    expect(await first).toEqual({ response: answer(1) });
    expect(await second).toEqual({ response: answer(2) });
    expect(stream.open).toBe(true);
  });

  it('a status about one batch (its size) is that batch’s alone: the unread ones behind it are to be sent again', async () => {
    const { call, ended, stream } = open();
    const answered = stream.send(Buffer.from('a'), 1000);
    const tooLarge = stream.send(Buffer.from('b'), 1000);
    const behind = stream.send(Buffer.from('c'), 1000);
    call.emit('data', answer(1));
    call.emit(
      'error',
      Object.assign(new Error('too large'), {
        code: grpc.status.OUT_OF_RANGE,
        details: 'a batch holds 1 to 3 events',
        metadata: new grpc.Metadata(),
      }),
    );
    expect(codeOf(await answered)).toBe('answered');
    expect(codeOf(await tooLarge)).toBe('OUT_OF_RANGE');
    const rest = await behind;
    expect(codeOf(rest)).toBe('UNAVAILABLE');
    expect('status' in rest && rest.status.details).toMatch(/not read: the stream ended at an earlier batch \(a batch holds 1 to 3 events\)/);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(stream.open).toBe(false);
  });

  it('a status about the stream settles every batch waiting with it', async () => {
    const { call, stream } = open();
    const waiting = [stream.send(Buffer.from('a'), 1000), stream.send(Buffer.from('b'), 1000)];
    call.emit(
      'error',
      Object.assign(new Error('denied'), { code: grpc.status.UNAUTHENTICATED, details: 'missing credentials', metadata: new grpc.Metadata() }),
    );
    expect((await Promise.all(waiting)).map(codeOf)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(codeOf(await stream.send(Buffer.from('c'), 1000))).toBe('UNAVAILABLE');
    expect(call.written).toHaveLength(2);
  });

  it('an answer that does not come in time ends the stream (the ones behind it cannot be answered first)', async () => {
    vi.useFakeTimers();
    const { call, stream } = open();
    const late = stream.send(Buffer.from('a'), 500);
    const behind = stream.send(Buffer.from('b'), 5000);
    vi.advanceTimersByTime(500);
    expect((await Promise.all([late, behind])).map(codeOf)).toEqual(['DEADLINE_EXCEEDED', 'DEADLINE_EXCEEDED']);
    expect(call.cancelled).toBe(true);
  });

  it('a peer that ends the stream with OK leaves its unanswered batches UNAVAILABLE', async () => {
    const { call, stream } = open();
    const waiting = stream.send(Buffer.from('a'), 1000);
    call.emit('status', { code: grpc.status.OK, details: '', metadata: new grpc.Metadata() });
    expect(codeOf(await waiting)).toBe('UNAVAILABLE');
  });

  it('closing takes no more batches but lets those written be answered', async () => {
    const { call, ended, stream } = open();
    const written = stream.send(Buffer.from('a'), 1000);
    stream.close();
    expect(call.halfClosed).toBe(true);
    expect(call.cancelled).toBe(false);
    expect(stream.open).toBe(false);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(codeOf(await stream.send(Buffer.from('b'), 1000))).toBe('UNAVAILABLE');
    call.emit('data', answer(1));
    expect(await written).toEqual({ response: answer(1) });
    call.emit('status', { code: grpc.status.OK, details: '', metadata: new grpc.Metadata() });
    expect(ended).toHaveBeenCalledTimes(1);
    expect(call.written.map(String)).toEqual(['a']);
  });

  it('an answer nobody waits for ends the stream', async () => {
    const { call, ended, stream } = open();
    call.emit('data', answer(1));
    expect(ended).toHaveBeenCalledTimes(1);
    expect(stream.open).toBe(false);
  });
});
