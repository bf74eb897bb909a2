// A bidirectional event stream, as MCPService/EventStream and the legacy mcp.Eventing/EventStream
// both serve it: the caller receives the events of every other source (never its own echoes, only
// its tenant's when it has one) in its wire format, and what it sends is ingested in order. When
// the caller half-closes, what is queued for it is still sent and the stream ends with OK.
import type * as grpc from '@grpc/grpc-js';
import { MATCH_ALL } from '../../../src/event/index.js';
import type { EventEncoder } from '../../log/envelope.js';
import type { SubscriberKind } from '../../subscribers/subscriber.js';
import type { Subscriptions } from '../../subscribers/subscriptions.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import { callerOf } from './auth-guard.js';
import { ingestInbound } from './inbound-stream.js';
import { subscriptionRefusalStatus } from './status-map.js';
import { grpcSubscriberTransport } from './subscriber-transport.js';

export interface EventStreamDeps {
  ingest: IngestService;
  subscriptions: Subscriptions;
}

export function eventStreamHandler(
  deps: EventStreamDeps,
  kind: SubscriberKind,
  encoder: EventEncoder,
): grpc.handleBidiStreamingCall<unknown, unknown> {
  return (call) => {
    const caller = callerOf(call);
    const opened = deps.subscriptions.open({
      kind,
      transport: grpcSubscriberTransport(call, encoder),
      filter: MATCH_ALL,
      tenant: caller.tenant,
    });
    if (!opened.ok) {
      call.emit('error', subscriptionRefusalStatus(opened.reason, opened.message));
      return;
    }
    const subscriber = opened.subscriber;
    ingestInbound({ call, ingest: deps.ingest, origin: subscriber.id, caller, onInboundDone: () => subscriber.endWhenSent() });
  };
}
