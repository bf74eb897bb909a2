// Opens and closes subscriptions within the global stream cap (MAX_CONNECTIONS): a stream takes
// a slot when it opens and gives it back when it ends, whatever the connection it came on.
import { TENANT_KEY, type TypeFilter } from '../../src/event/index.js';
import type { Envelope } from '../log/envelope.js';
import type { LogSource } from '../log/event-log.js';
import type { SubscriberRegistry } from './subscriber-registry.js';
import {
  Subscriber,
  type CursorObserver,
  type StreamEnding,
  type SubscriberKind,
  type SubscriberStart,
  type SubscriberTransport,
} from './subscriber.js';

/** The metadata key a subscriber's tenant filters on (as ingest binds it). */

export interface SubscriptionRequest {
  kind: SubscriberKind;
  transport: SubscriberTransport;
  filter: TypeFilter;
  /** Only this tenant's events (metadata.tenant_id); undefined = every event. */
  tenant?: string | undefined;
  /** Where to start; default: the live end. */
  start?: SubscriberStart | undefined;
  /** While reading from the start: skip events whose own timestamp is earlier (StreamEvents start_timestamp). */
  minTimestamp?: number | undefined;
  /** Keep streaming live events after reading up to the end of the log (default true). */
  follow?: boolean;
  onFinished?: (ending: StreamEnding) => void;
}

export type OpenResult = { ok: true; subscriber: Subscriber } | { ok: false; reason: 'max_connections' | 'draining'; message: string };

export interface SubscriptionsOptions {
  registry: SubscriberRegistry;
  log: LogSource;
  maxStreams: number;
  queueSize: number;
  /** Makes subscriber ids unique across replicas (an event's origin travels through the shared log). */
  idPrefix: string;
  observer?: SubscriptionObserver;
}

/** Told of every subscription opened and finished, and of cursors moving between live and log (metrics, logs). */
export interface SubscriptionObserver extends CursorObserver {
  opened(kind: SubscriberKind, activeStreams: number): void;
  finished(kind: SubscriberKind, ending: StreamEnding, activeStreams: number): void;
  refused(kind: SubscriberKind, reason: 'max_connections' | 'draining'): void;
}

export class Subscriptions {
  private active = 0;
  private nextId = 0;
  private accepting = true;

  constructor(private readonly options: SubscriptionsOptions) {}

  get activeStreams(): number {
    return this.active;
  }

  /** Refuse new subscriptions from now on (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  open(request: SubscriptionRequest): OpenResult {
    if (!this.accepting) return this.refuse(request.kind, 'draining', 'the gateway is shutting down');
    if (this.active >= this.options.maxStreams) {
      const message = `stream limit reached: ${this.options.maxStreams} concurrent streams (MAX_CONNECTIONS)`;
      return this.refuse(request.kind, 'max_connections', message);
    }
    const { registry } = this.options;
    const { filter, tenant } = request;
    const accepts =
      tenant === undefined
        ? (envelope: Envelope) => filter(envelope.event.event_type)
        : (envelope: Envelope) => envelope.event.metadata[TENANT_KEY] === tenant && filter(envelope.event.event_type);
    const follow = request.follow ?? true;
    const subscriber = new Subscriber({
      id: `${this.options.idPrefix}/${request.kind}-${++this.nextId}`,
      kind: request.kind,
      queueSize: this.options.queueSize,
      transport: request.transport,
      accepts,
      log: this.options.log,
      start: request.start ?? { live: true },
      minTimestamp: request.minTimestamp,
      follow,
      observer: this.options.observer,
      onFinished: (finished, ending) => {
        registry.remove(finished, ending);
        this.active--;
        this.options.observer?.finished(finished.kind, ending, this.active);
        request.onFinished?.(ending);
      },
    });
    this.active++;
    this.options.observer?.opened(request.kind, this.active);
    // Registered before it starts: from its start position on, no event falls between the log and the fan-out.
    if (follow) registry.add(subscriber);
    subscriber.start();
    return { ok: true, subscriber };
  }

  private refuse(kind: SubscriberKind, reason: 'max_connections' | 'draining', message: string): OpenResult {
    this.options.observer?.refused(kind, reason);
    return { ok: false, reason, message };
  }
}
