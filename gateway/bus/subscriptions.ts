// Opens and closes subscriptions within the global stream cap (MAX_CONNECTIONS): a stream takes
// a slot when it opens and gives it back when it ends, whatever the connection it came on.
import type { TypeFilter } from '../../src/event/index.js';
import type { Envelope } from './envelope.js';
import type { EventHistory } from './history.js';
import type { SubscriberRegistry } from './subscriber-registry.js';
import { Subscriber, type StreamEnding, type SubscriberKind, type SubscriberTransport } from './subscriber.js';

/** The metadata key a subscriber's tenant filters on (as ingest binds it). */
const TENANT_KEY = 'tenant_id';

export interface SubscriptionRequest {
  kind: SubscriberKind;
  transport: SubscriberTransport;
  filter: TypeFilter;
  /** Only this tenant's events (metadata.tenant_id); undefined = every event. */
  tenant?: string | undefined;
  /** Replay history from this timestamp (ms) before live events; undefined = live only. */
  replayFrom?: number | undefined;
  /** Keep streaming live events after the replay (default true). */
  follow?: boolean;
  onFinished?: (ending: StreamEnding) => void;
}

export type OpenResult =
  | { ok: true; subscriber: Subscriber }
  | { ok: false; reason: 'max_connections' | 'draining'; message: string };

export interface SubscriptionsOptions {
  registry: SubscriberRegistry;
  history: EventHistory;
  maxStreams: number;
  queueSize: number;
  observer?: SubscriptionObserver;
}

/** Told of every subscription opened and finished (metrics, logs). */
export interface SubscriptionObserver {
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
    const { registry, history } = this.options;
    const { filter, tenant } = request;
    const accepts =
      tenant === undefined
        ? (envelope: Envelope) => filter(envelope.event.event_type)
        : (envelope: Envelope) => envelope.event.metadata[TENANT_KEY] === tenant && filter(envelope.event.event_type);
    const follow = request.follow ?? true;
    const subscriber = new Subscriber({
      id: `${request.kind}-${++this.nextId}`,
      kind: request.kind,
      queueSize: this.options.queueSize,
      transport: request.transport,
      accepts,
      replay: request.replayFrom === undefined ? [] : history.since(request.replayFrom, accepts),
      follow,
      onFinished: (finished, ending) => {
        registry.remove(finished, ending);
        this.active--;
        this.options.observer?.finished(finished.kind, ending, this.active);
        request.onFinished?.(ending);
      },
    });
    this.active++;
    this.options.observer?.opened(request.kind, this.active);
    // Registered in the same turn as the history snapshot: no event falls between the two.
    if (follow) registry.add(subscriber);
    subscriber.start();
    return { ok: true, subscriber };
  }

  private refuse(kind: SubscriberKind, reason: 'max_connections' | 'draining', message: string): OpenResult {
    this.options.observer?.refused(kind, reason);
    return { ok: false, reason, message };
  }
}
