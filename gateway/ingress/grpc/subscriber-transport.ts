// A gRPC server stream as a SubscriberTransport: honours write backpressure (wait for 'drain',
// raced with cancellation) and maps stream endings onto gRPC statuses.
import * as grpc from '@grpc/grpc-js';
import type { Envelope, EventEncoder } from '../../log/envelope.js';
import type { StreamEnding, SubscriberTransport } from '../../subscribers/subscriber.js';
import { LOST_FROM_METADATA, LOST_TO_METADATA } from '../../wire/names.js';

type WritableCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** `encoding`: a shared encoder (cached per event), or a function for per-stream framing. */
export function grpcSubscriberTransport(call: WritableCall, encoding: EventEncoder | ((envelope: Envelope) => Buffer)): SubscriberTransport {
  const encode = typeof encoding === 'function' ? encoding : (envelope: Envelope) => envelope.encoded(encoding);
  let gone = false;
  let goneListener: (() => void) | undefined;
  const markGone = () => {
    if (gone) return;
    gone = true;
    goneListener?.();
  };
  call.once('cancelled', markGone);
  call.once('close', markGone);
  call.on('error', markGone);

  return {
    get gone() {
      return gone || call.cancelled || call.destroyed;
    },
    onGone(listener) {
      goneListener = listener;
    },
    write(envelope) {
      return call.write(encode(envelope));
    },
    waitForDrain() {
      if (gone) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          call.off('drain', done);
          call.off('cancelled', done);
          call.off('close', done);
          resolve();
        };
        call.on('drain', done);
        call.on('cancelled', done);
        call.on('close', done);
      });
    },
    end(ending: StreamEnding) {
      switch (ending.kind) {
        case 'complete':
          call.end();
          return;
        case 'cut_off': {
          // The lost range is machine-readable too, for clients that resume on their own.
          const metadata = new grpc.Metadata();
          metadata.set(LOST_FROM_METADATA, String(ending.lost.from));
          metadata.set(LOST_TO_METADATA, String(ending.lost.to));
          call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: ending.message, metadata });
          return;
        }
        case 'shutdown':
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: ending.message });
          return;
        case 'gone':
          return;
      }
    },
  };
}
