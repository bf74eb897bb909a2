// The legacy seed-000 mcp.Eventing/EventStream: MCPEvent{id, data} in both directions. Inbound
// events are mapped onto the full model; outbound, every event from other sources is sent in the
// legacy shape.
import type * as grpc from '@grpc/grpc-js';
import { MATCH_ALL } from '../../../src/event/index.js';
import type { EventBus } from '../../bus/event-bus.js';
import type { Subscriptions } from '../../bus/subscriptions.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import { callerOf } from './auth-guard.js';
import { ingestInbound } from './inbound-stream.js';
import { LEGACY_EVENT_ENCODER } from './protos.js';
import { subscriptionRefusalStatus } from './status-map.js';
import { grpcSubscriberTransport } from './subscriber-transport.js';

export interface LegacyServiceDeps {
  ingest: IngestService;
  bus: EventBus;
  subscriptions: Subscriptions;
}

export function createLegacyEventingService(deps: LegacyServiceDeps): grpc.UntypedServiceImplementation {
  const EventStream: grpc.handleBidiStreamingCall<unknown, unknown> = (call) => {
    const caller = callerOf(call);
    const opened = deps.subscriptions.open({
      kind: 'legacy_event_stream',
      transport: grpcSubscriberTransport(call, LEGACY_EVENT_ENCODER),
      filter: MATCH_ALL,
      tenant: caller.tenant,
    });
    if (!opened.ok) {
      call.emit('error', subscriptionRefusalStatus(opened.reason, opened.message));
      return;
    }
    ingestInbound({ call, ingest: deps.ingest, bus: deps.bus, origin: opened.subscriber.id, caller });
  };
  return { EventStream } as grpc.UntypedServiceImplementation;
}
