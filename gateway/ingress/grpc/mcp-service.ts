// mcp.v1.MCPService: IngestEvent, IngestEventBatch(Stream), StreamEvents, EventStream, GetHealth, GetMetrics.
import * as grpc from '@grpc/grpc-js';
import { checkTypePattern, compileTypeFilter, normalizeTimestamp } from '../../../src/event/index.js';
import type { Subscriptions } from '../../subscribers/subscriptions.js';
import { isFailure, type IngestService } from '../../ingest/ingest-service.js';
import type { GatewayStatus } from '../../status.js';
import { callerOf } from './auth-guard.js';
import { eventStreamHandler } from './event-stream.js';
import { ingestBatchHandler, ingestBatchStreamHandler } from './ingest-batch.js';
import { V1_EVENT_ENCODER } from './encoders.js';
import { outcomeToStatus, subscriptionRefusalStatus, unexpectedErrorStatus } from './status-map.js';
import { grpcTraceCarrier } from './trace-metadata.js';
import { grpcSubscriberTransport } from './subscriber-transport.js';

export interface McpServiceDeps {
  ingest: IngestService;
  subscriptions: Subscriptions;
  status: GatewayStatus;
  /** Events per IngestEventBatch (or per message of IngestEventBatchStream) at most (MAX_BATCH_SIZE, capped at BUFFER_SIZE as for HTTP). */
  maxBatchSize: number;
  /** Aborted when the gateway starts to shut down: IngestEventBatchStream calls end. */
  shutdown?: AbortSignal;
}

interface StreamEventsRequest {
  event_types: string[];
  start_timestamp: number;
  follow: boolean;
  after_position: number;
}

export function createMcpService(deps: McpServiceDeps): grpc.UntypedServiceImplementation {
  const { ingest, subscriptions, status } = deps;

  const ingestEvent = async (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): Promise<void> => {
    const outcome = await ingest.ingest(call.request, 'grpc', { caller: callerOf(call), trace: grpcTraceCarrier(ingest, call.metadata) });
    if (isFailure(outcome)) {
      const failure = outcomeToStatus(outcome);
      callback({ code: failure.code, details: failure.details, metadata: failure.metadata });
      return;
    }
    callback(null, {
      event_id: outcome.event.event_id,
      success: true,
      message: outcome.status === 'duplicate' ? 'event already accepted (duplicate event_id)' : 'event accepted',
      timestamp: Date.now(),
      status: outcome.status,
    });
  };
  // grpc-js ignores a handler's promise: an unexpected throw must still answer the call.
  const IngestEvent: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
    ingestEvent(call, callback).catch((error: unknown) => callback(unexpectedErrorStatus(error)));
  };

  const IngestEventBatch = ingestBatchHandler(deps);
  const IngestEventBatchStream = ingestBatchStreamHandler(deps);

  const StreamEvents: grpc.handleServerStreamingCall<StreamEventsRequest, unknown> = (call) => {
    const request = call.request;
    for (const pattern of request.event_types) {
      const problem = checkTypePattern(pattern);
      if (problem) {
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: `event_types: ${problem}` });
        return;
      }
    }
    if (request.start_timestamp < 0) {
      call.emit('error', {
        code: grpc.status.INVALID_ARGUMENT,
        details: 'start_timestamp: must be 0 or Unix time in milliseconds (or seconds, below 10^11)',
      });
      return;
    }
    // The same rule as event timestamps: a value that can only be seconds is taken as seconds.
    const startTimestamp = normalizeTimestamp(request.start_timestamp);
    // Resuming after a position reads the log from there; otherwise the log is read for events
    // whose own timestamp is at or after start_timestamp (0: everything it holds).
    const resume = request.after_position > 0;
    const opened = subscriptions.open({
      kind: 'stream_events',
      transport: grpcSubscriberTransport(call, V1_EVENT_ENCODER),
      filter: compileTypeFilter(request.event_types),
      tenant: callerOf(call).tenant,
      start: resume ? { after: request.after_position } : { fromTime: startTimestamp },
      minTimestamp: resume ? undefined : startTimestamp,
      follow: request.follow,
    });
    if (!opened.ok) call.emit('error', subscriptionRefusalStatus(opened.reason, opened.message));
  };

  const EventStream = eventStreamHandler({ ingest, subscriptions }, 'event_stream', V1_EVENT_ENCODER);

  const GetHealth: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) => {
    const health = status.health();
    callback(null, {
      healthy: health.status !== 'unhealthy',
      status: health.status,
      details: health.details,
      // Milliseconds, as the Go reference server reports it.
      uptime: status.uptimeMs(),
    });
  };

  const GetMetrics: grpc.handleUnaryCall<unknown, unknown> = (_call, callback) => {
    callback(null, status.metrics());
  };

  return {
    IngestEvent,
    IngestEventBatch,
    IngestEventBatchStream,
    StreamEvents,
    EventStream,
    GetHealth,
    GetMetrics,
  } as grpc.UntypedServiceImplementation;
}
