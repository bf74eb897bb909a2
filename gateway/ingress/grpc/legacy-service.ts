// The legacy seed-000 mcp.Eventing/EventStream: MCPEvent{id, data} in both directions. Inbound
// events are mapped onto the full model; outbound, every event from other sources is sent in the
// legacy shape.
import type * as grpc from '@grpc/grpc-js';
import { eventStreamHandler, type EventStreamDeps } from './event-stream.js';
import { LEGACY_EVENT_ENCODER } from './encoders.js';

export function createLegacyEventingService(deps: EventStreamDeps): grpc.UntypedServiceImplementation {
  return { EventStream: eventStreamHandler(deps, 'legacy_event_stream', LEGACY_EVENT_ENCODER) } as grpc.UntypedServiceImplementation;
}
