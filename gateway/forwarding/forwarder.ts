// Forwarding as a bus sink: every dispatched event goes to each peer and to the targets of each
// route it matches, through that target's own delivery queue, so ingest never waits for a peer.
// Loops are cut three ways: a gateway already on the event's path is skipped, forwarding stops
// at the hop limit, and receivers dispatch an event id once (RecentIds).
import type { GatewayConfig } from '../../src/config/index.js';
import { compileTypeFilter, forwardedBy, hopsOf, pathOf, type McpEvent, type TypeFilter } from '../../src/event/index.js';
import type { Logger } from '../../src/observability/logger.js';
import type { DispatchSink } from '../bus/event-bus.js';
import type { Envelope } from '../bus/envelope.js';
import type { DeadLetter, DeadLetterFilter, DeadLetterStore } from './dead-letters.js';
import { createGrpcSender } from './grpc-sender.js';
import { createHttpSender } from './http-sender.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Sender } from './sender.js';
import { TargetDelivery, type Target } from './target-delivery.js';

/** The route name peers are delivered under. */
export const PEERS_ROUTE = 'peers';

interface Route {
  name: string;
  matches: (event: McpEvent) => boolean;
  deliveries: TargetDelivery[];
}

export interface ForwarderOptions {
  selfId: string;
  logger: Logger;
  deadLetters: DeadLetterStore;
  /** Told of every dead letter after it is stored (sink, metrics). */
  onDeadLetter?: (letter: DeadLetter) => void;
  onAttempt?: (target: string, outcome: string, seconds: number) => void;
  onCircuitOpened?: (target: string, lastError: string) => void;
  /** Signs an event as it leaves (federation signatures), after this gateway is on its path. */
  sign?: ((event: McpEvent) => McpEvent) | undefined;
  createSender?: (target: Target, concurrency: number, retryOn: RetryPolicy['retryOn']) => Sender;
}

export interface ForwardingStats {
  skippedOnPath: number;
  skippedHopLimit: number;
  targets: { route: string; target: string; url: string; accepted: number; delivered: number; deadLettered: number; inFlight: number; circuit: string }[];
}

function defaultSender(target: Target, concurrency: number, retryOn: RetryPolicy['retryOn']): Sender {
  return target.url.startsWith('grpc:')
    ? createGrpcSender(target.url, retryOn)
    : createHttpSender({ url: target.url, format: target.format, maxSockets: concurrency, retryOn });
}

function routeMatcher(match: GatewayConfig['routes'][number]['match']): (event: McpEvent) => boolean {
  const typeOk: TypeFilter = compileTypeFilter(match.eventTypes);
  const sources = match.sources.length > 0 ? new Set(match.sources) : undefined;
  const metadata = Object.entries(match.metadata);
  return (event) =>
    typeOk(event.event_type) &&
    (sources === undefined || sources.has(event.source)) &&
    metadata.every(([key, value]) => event.metadata[key] === value);
}

export class Forwarder implements DispatchSink {
  private routes: Route[] = [];
  private skippedOnPath = 0;
  private skippedHopLimit = 0;
  private maxHops = 8;
  /** The identity of each delivery (route, target, policy), to keep it across reloads. */
  private readonly keys = new WeakMap<TargetDelivery, string>();

  constructor(private readonly options: ForwarderOptions) {}

  /**
   * (Re)builds peers and routes from the config. A delivery whose route, target and policy are
   * unchanged is kept with what it holds; one that is gone is closed, its events dead-lettered
   * as target_removed.
   */
  configure(config: GatewayConfig): void {
    const forwarding = config.forwarding;
    this.maxHops = forwarding.maxHops;
    const existing = new Map(this.routes.flatMap((route) => route.deliveries.map((d) => [this.keys.get(d)!, d] as const)));
    const kept = new Set<TargetDelivery>();
    const build = (route: string, target: Target, timeoutMs: number, retry: RetryPolicy): TargetDelivery => {
      const key = JSON.stringify([route, target, timeoutMs, retry]);
      const reused = existing.get(key);
      if (reused) {
        kept.add(reused);
        return reused;
      }
      const delivery = new TargetDelivery({
        route,
        target,
        sender: (this.options.createSender ?? defaultSender)(target, forwarding.concurrency, retry.retryOn),
        retry,
        timeoutMs,
        concurrency: forwarding.concurrency,
        capacity: forwarding.queueSize,
        breaker: { failureThreshold: forwarding.circuitBreaker.failureThreshold, cooldownMs: forwarding.circuitBreaker.cooldown },
        deadLetter: (letter) => {
          const stored = this.options.deadLetters.add(letter);
          this.options.onDeadLetter?.(stored);
        },
        onAttempt: (outcome, seconds) => this.options.onAttempt?.(target.id, outcome, seconds),
        onCircuitOpened: (lastError) => this.options.onCircuitOpened?.(target.id, lastError),
      });
      this.keys.set(delivery, key);
      return delivery;
    };
    const baseRetry: RetryPolicy = {
      maxAttempts: forwarding.retry.maxAttempts,
      initialBackoffMs: forwarding.retry.initialBackoff,
      maxBackoffMs: forwarding.retry.maxBackoff,
      retryOn: forwarding.retry.retryOn,
    };
    const routes: Route[] = [
      {
        name: PEERS_ROUTE,
        matches: () => true,
        deliveries: forwarding.targets.map((t) => build(PEERS_ROUTE, t, forwarding.timeout, baseRetry)),
      },
      ...config.routes.map((route) => {
        const retry: RetryPolicy = {
          maxAttempts: route.delivery.retry?.maxAttempts ?? baseRetry.maxAttempts,
          initialBackoffMs: route.delivery.retry?.initialBackoff ?? baseRetry.initialBackoffMs,
          maxBackoffMs: route.delivery.retry?.maxBackoff ?? baseRetry.maxBackoffMs,
          retryOn: route.delivery.retry?.retryOn ?? baseRetry.retryOn,
        };
        const timeout = route.delivery.timeout ?? forwarding.timeout;
        return {
          name: route.name,
          matches: routeMatcher(route.match),
          deliveries: route.targets.map((t) => build(`route/${route.name}`, t, timeout, retry)),
        };
      }),
    ];
    for (const delivery of existing.values()) {
      if (!kept.has(delivery)) delivery.close('target_removed');
    }
    // Only routes with somewhere to send are looked at per event.
    this.routes = routes.filter((route) => route.deliveries.length > 0);
    this.options.logger.info(
      { peers: forwarding.targets.map((t) => t.id), routes: config.routes.map((r) => r.name) },
      'forwarding configured',
    );
  }

  dispatch(envelope: Envelope): void {
    const event = envelope.event;
    if (this.routes.length === 0) return;
    if (hopsOf(event) >= this.maxHops) {
      this.skippedHopLimit++;
      return;
    }
    const path = pathOf(event);
    if (path.includes(this.options.selfId)) {
      // It came back around: this gateway forwarded it before.
      this.skippedOnPath++;
      return;
    }
    let outgoing: McpEvent | undefined;
    for (const route of this.routes) {
      if (!route.matches(event)) continue;
      for (const delivery of route.deliveries) {
        const id = delivery.target.id;
        if (id === this.options.selfId || path.includes(id)) {
          this.skippedOnPath++;
          continue;
        }
        delivery.enqueue((outgoing ??= this.stamp(event)));
      }
    }
  }

  /** The event as it leaves this gateway: one more hop, this gateway on its path, signed. */
  private stamp(event: McpEvent): McpEvent {
    const forwarded = forwardedBy(event, this.options.selfId);
    return this.options.sign ? this.options.sign(forwarded) : forwarded;
  }

  /** Sends dead letters again to their target (fresh attempts); returns those whose target is gone. */
  redrive(filter: DeadLetterFilter, limit: number): { redriven: number; unknownTarget: number } {
    const letters = this.options.deadLetters.take(filter, limit);
    const deliveries = this.allDeliveries();
    const orphans: DeadLetter[] = [];
    for (const letter of letters) {
      const delivery = deliveries.find((d) => d.route === letter.route && d.target.id === letter.target);
      if (delivery) delivery.enqueue(letter.event);
      else orphans.push(letter);
    }
    this.options.deadLetters.restore(orphans);
    return { redriven: letters.length - orphans.length, unknownTarget: orphans.length };
  }

  /** Events delivered to any target since start. */
  delivered(): number {
    return this.allDeliveries().reduce((sum, d) => sum + d.delivered, 0);
  }

  inFlight(): number {
    return this.allDeliveries().reduce((sum, d) => sum + d.inFlight, 0);
  }

  stats(): ForwardingStats {
    return {
      skippedOnPath: this.skippedOnPath,
      skippedHopLimit: this.skippedHopLimit,
      targets: this.allDeliveries().map((d) => ({
        route: d.route,
        target: d.target.id,
        url: d.target.url,
        accepted: d.accepted,
        delivered: d.delivered,
        deadLettered: d.deadLettered,
        inFlight: d.inFlight,
        circuit: d.breaker.state,
      })),
    };
  }

  /** Shutdown: waits up to `timeoutMs` for every target to empty, then dead-letters the rest. */
  async drain(timeoutMs: number): Promise<void> {
    const deliveries = this.allDeliveries();
    await Promise.all(deliveries.map((d) => d.idle(timeoutMs)));
    for (const delivery of deliveries) delivery.close('shutdown');
  }

  private allDeliveries(): TargetDelivery[] {
    return this.routes.flatMap((route) => route.deliveries);
  }
}
