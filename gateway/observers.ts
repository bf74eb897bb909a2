// What the gateway's parts report, turned into metrics and logs. Each part knows only its own
// narrow observer interface; this file is where they meet the metrics and the logger.
import type { Logger } from '../src/observability/logger.js';
import type { DeadLetter } from './forwarding/dead-letters.js';
import type { GatewayMetrics } from './metrics.js';
import type { SubscriptionObserver } from './subscribers/subscriptions.js';

/** The connection type a kind of stream counts under in tas_mcp_active_connections. */
const connectionType = (kind: string) => (kind === 'websocket' ? 'websocket' : 'grpc_stream');

export function subscriptionObserver(metrics: GatewayMetrics, log: Logger): SubscriptionObserver {
  const open = { grpc_stream: 0, websocket: 0 };
  const count = (kind: string, delta: number) => {
    const type = connectionType(kind);
    open[type] += delta;
    metrics.activeConnections.set({ type }, open[type]);
  };
  return {
    opened(kind) {
      metrics.subscribers.inc({ kind });
      count(kind, 1);
    },
    finished(kind, ending) {
      metrics.subscribers.dec({ kind });
      count(kind, -1);
      if (ending.kind === 'cut_off') {
        metrics.subscribersCutOff.inc({ kind });
        log.warn({ kind, lost: ending.lost, reason: ending.message }, 'subscriber cut off');
      }
    },
    refused(kind, reason) {
      metrics.streamsRefused.inc({ reason });
      log.debug({ kind, reason }, 'stream refused');
    },
    fellBehind(subscriber) {
      metrics.subscribersFellBehind.inc({ kind: subscriber.kind });
      log.debug({ subscriber: subscriber.id }, 'subscriber fell behind the live fan-out; reading the log at its own pace');
    },
    caughtUp(subscriber) {
      log.debug({ subscriber: subscriber.id }, 'subscriber caught up; back on the live fan-out');
    },
  };
}

/** Where dead letters and failing targets are reported besides the store (sink URL, Kubernetes Events). */
export interface ForwardingReports {
  deadLettered?: (letter: DeadLetter) => void;
  peerUnreachable?: (target: string, lastError: string) => void;
}

export function forwardingObserver(metrics: GatewayMetrics, log: Logger, reports: () => ForwardingReports) {
  return {
    onDeadLetter(letter: DeadLetter) {
      log.warn(
        { event_id: letter.event.event_id, target: letter.target, reason: letter.reason, attempts: letter.attempts, lastError: letter.lastError },
        'event dead-lettered',
      );
      reports().deadLettered?.(letter);
    },
    onCircuitOpened(target: string, lastError: string) {
      log.warn({ target, lastError }, 'forwarding target failing: circuit opened');
      reports().peerUnreachable?.(target, lastError);
    },
    onAttempt(target: string, outcome: string, count: number) {
      metrics.forwardAttempts.inc({ target, result: outcome }, count);
    },
    onRequest(target: string, events: number, seconds: number) {
      metrics.forwardDuration.observe({ target }, seconds);
      metrics.forwardBatchEvents.observe({ target }, events);
    },
  };
}
