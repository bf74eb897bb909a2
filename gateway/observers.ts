// What the gateway's parts report, turned into metrics and logs. Each part knows only its own
// narrow observer interface; this file is where they meet the metrics and the logger.
import type { Logger } from '../src/observability/logger.js';
import type { DeadLetter } from './forwarding/dead-letters.js';
import type { GatewayMetrics } from './metrics.js';
import type { SubscriptionObserver } from './subscribers/subscriptions.js';

export function subscriptionObserver(metrics: GatewayMetrics, log: Logger): SubscriptionObserver {
  return {
    opened(kind, active) {
      metrics.subscribers.inc({ kind });
      metrics.activeConnections.set({ type: 'grpc_stream' }, active);
    },
    finished(kind, ending, active) {
      metrics.subscribers.dec({ kind });
      metrics.activeConnections.set({ type: 'grpc_stream' }, active);
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
