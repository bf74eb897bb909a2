// Forwarding: each peer, and each target of each route, is a delivery fed by a shared consumer
// of the event log, so each event is forwarded once per target however many replicas run
// (with the memory log, the one process is the only consumer). Ingest never waits for a target.
// Loops are cut three ways: a gateway already on the event's path is skipped, forwarding stops at
// the hop limit, and receivers store an event id once (the log's duplicate window).
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../../src/config/index.js';
import { compileTypeFilter, forwardedBy, hopsOf, pathOf, type McpEvent, type TypeFilter } from '../../src/event/index.js';
import type { Logger } from '../../src/observability/logger.js';
import type { Envelope } from '../log/envelope.js';
import type { SharedConsumer, SharedConsumers, Ticket } from '../log/event-log.js';
import type { DeadLetter, DeadLetterFilter, DeadLetters } from './dead-letters.js';
import { createGrpcSender } from './grpc-sender.js';
import { createHttpSender } from './http-sender.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Sender } from './sender.js';
import { TargetDelivery, type Target } from './target-delivery.js';

/** The route name peers are delivered under. */
export const PEERS_ROUTE = 'peers';

/** Events a replica holds for one target at most (the rest wait in the log). */
const MAX_HELD_PER_TARGET = 1024;

interface Delivery {
  key: string;
  delivery: TargetDelivery;
  consumer: SharedConsumer;
  matches: (event: McpEvent) => boolean;
}

export interface ForwarderOptions {
  selfId: string;
  logger: Logger;
  /** Where each target's shared consumer reads the log. */
  log: SharedConsumers;
  deadLetters: DeadLetters;
  /** Told of every dead letter after it is stored (sink, metrics). */
  onDeadLetter?: (letter: DeadLetter) => void;
  onAttempt?: (target: string, outcome: string, seconds: number) => void;
  onCircuitOpened?: (target: string, lastError: string) => void;
  /** Signs an event as it leaves (federation signatures), after this gateway is on its path. */
  sign?: ((event: McpEvent) => McpEvent) | undefined;
  createSender?: (target: Target, concurrency: number, retryOn: RetryPolicy['retryOn']) => Sender;
  /** How often held events are renewed with the log (below its acknowledgement wait). */
  holdIntervalMs?: number;
}

export interface ForwardingStats {
  skippedOnPath: number;
  skippedHopLimit: number;
  targets: {
    route: string;
    target: string;
    url: string;
    accepted: number;
    delivered: number;
    deadLettered: number;
    returned: number;
    inFlight: number;
    circuit: string;
  }[];
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

/** The shared consumer of one delivery: the same name on every replica, and across restarts. */
export function consumerName(route: string, target: Target): string {
  return `fwd-${createHash('sha256').update(JSON.stringify([route, target.id, target.url])).digest('hex').slice(0, 20)}`;
}

export class Forwarder {
  private deliveries: Delivery[] = [];
  private skippedOnPath = 0;
  private skippedHopLimit = 0;
  private maxHops = 8;
  /** Each event as it leaves this gateway, stamped once however many targets it goes to. */
  private readonly outgoing = new WeakMap<Envelope, McpEvent>();

  constructor(private readonly options: ForwarderOptions) {}

  /**
   * (Re)builds peers and routes from the config. A delivery whose route, target and policy are
   * unchanged is kept with what it holds; one that is gone is closed (its events dead-lettered
   * as target_removed) and its consumer removed from the log.
   */
  configure(config: GatewayConfig): void {
    const forwarding = config.forwarding;
    this.maxHops = forwarding.maxHops;
    const existing = new Map(this.deliveries.map((d) => [d.key, d] as const));
    const next: Delivery[] = [];
    const add = (route: string, target: Target, timeoutMs: number, retry: RetryPolicy, matches: (event: McpEvent) => boolean) => {
      const key = JSON.stringify([route, target, timeoutMs, retry]);
      const reused = existing.get(key);
      if (reused) {
        existing.delete(key);
        reused.matches = matches;
        next.push(reused);
        return;
      }
      next.push(this.createDelivery(key, route, target, timeoutMs, retry, matches, config));
    };
    const baseRetry: RetryPolicy = {
      maxAttempts: forwarding.retry.maxAttempts,
      initialBackoffMs: forwarding.retry.initialBackoff,
      maxBackoffMs: forwarding.retry.maxBackoff,
      retryOn: forwarding.retry.retryOn,
    };
    for (const target of forwarding.targets) add(PEERS_ROUTE, target, forwarding.timeout, baseRetry, () => true);
    for (const route of config.routes) {
      const retry: RetryPolicy = {
        maxAttempts: route.delivery.retry?.maxAttempts ?? baseRetry.maxAttempts,
        initialBackoffMs: route.delivery.retry?.initialBackoff ?? baseRetry.initialBackoffMs,
        maxBackoffMs: route.delivery.retry?.maxBackoff ?? baseRetry.maxBackoffMs,
        retryOn: route.delivery.retry?.retryOn ?? baseRetry.retryOn,
      };
      const matches = routeMatcher(route.match);
      for (const target of route.targets) add(`route/${route.name}`, target, route.delivery.timeout ?? forwarding.timeout, retry, matches);
    }
    for (const gone of existing.values()) {
      gone.delivery.close('target_removed');
      gone.consumer.remove().catch((error: Error) =>
        this.options.logger.warn({ target: gone.delivery.target.id, error: error.message }, 'could not remove the log consumer of a removed target'),
      );
    }
    this.deliveries = next;
    this.options.logger.info(
      { peers: forwarding.targets.map((t) => t.id), routes: config.routes.map((r) => r.name) },
      'forwarding configured',
    );
  }

  private createDelivery(
    key: string,
    route: string,
    target: Target,
    timeoutMs: number,
    retry: RetryPolicy,
    matches: (event: McpEvent) => boolean,
    config: GatewayConfig,
  ): Delivery {
    const forwarding = config.forwarding;
    const delivery = new TargetDelivery({
      route,
      target,
      sender: (this.options.createSender ?? defaultSender)(target, forwarding.concurrency, retry.retryOn),
      retry,
      timeoutMs,
      concurrency: forwarding.concurrency,
      capacity: forwarding.queueSize,
      breaker: { failureThreshold: forwarding.circuitBreaker.failureThreshold, cooldownMs: forwarding.circuitBreaker.cooldown },
      holdIntervalMs: this.options.holdIntervalMs,
      deadLetter: (letter) => {
        const stored = this.options.deadLetters.add(letter);
        if (stored instanceof Promise) return stored.then((kept) => this.options.onDeadLetter?.(kept));
        this.options.onDeadLetter?.(stored);
        return undefined;
      },
      onAttempt: (outcome, seconds) => this.options.onAttempt?.(target.id, outcome, seconds),
      onCircuitOpened: (lastError) => this.options.onCircuitOpened?.(target.id, lastError),
    });
    // Read through `entry`, so a reload that changes only the route's match takes effect.
    const entry = { delivery, matches };
    const consumer = this.options.log.consumeShared(consumerName(route, target), (envelope, ticket) => this.offer(entry, envelope, ticket), {
      maxHeld: Math.min(forwarding.queueSize, MAX_HELD_PER_TARGET),
      description: `${route} -> ${target.url}`,
    });
    return Object.assign(entry, { key, consumer });
  }

  /** One event of the log, for one delivery: sent on, or settled as not for it. */
  private offer(entry: Pick<Delivery, 'delivery' | 'matches'>, envelope: Envelope, ticket: Ticket): void {
    const event = envelope.event;
    const target = entry.delivery.target;
    if (!entry.matches(event)) {
      ticket.settle();
      return;
    }
    if (hopsOf(event) >= this.maxHops) {
      this.skippedHopLimit++;
      ticket.settle();
      return;
    }
    const path = pathOf(event);
    // It came back around (this gateway forwarded it before), or the target has seen it.
    if (path.includes(this.options.selfId) || target.id === this.options.selfId || path.includes(target.id)) {
      this.skippedOnPath++;
      ticket.settle();
      return;
    }
    let outgoing = this.outgoing.get(envelope);
    if (!outgoing) {
      outgoing = this.stamp(event);
      this.outgoing.set(envelope, outgoing);
    }
    // The memory log's tickets need nothing; the shared log's are held until the event leaves.
    entry.delivery.enqueue(outgoing, ticket.returnable ? ticket : undefined, ticket.redeliveries);
  }

  /** The event as it leaves this gateway: one more hop, this gateway on its path, signed. */
  private stamp(event: McpEvent): McpEvent {
    const forwarded = forwardedBy(event, this.options.selfId);
    return this.options.sign ? this.options.sign(forwarded) : forwarded;
  }

  /** Sends dead letters again to their target (fresh attempts); letters whose target is gone stay. */
  async redrive(filter: DeadLetterFilter, limit: number): Promise<{ redriven: number; unknownTarget: number }> {
    const claimed = await this.options.deadLetters.claim(filter, limit);
    let unknownTarget = 0;
    for (const claim of claimed) {
      const { letter } = claim;
      const entry = this.deliveries.find((d) => d.delivery.route === letter.route && d.delivery.target.id === letter.target);
      if (!entry) {
        claim.unclaim();
        unknownTarget++;
        continue;
      }
      // The old letter goes once the event is delivered or dead-lettered anew; it stays if this replica stops first.
      const ticket: Ticket = { backlog: 0, redeliveries: 0, returnable: true, settle: () => claim.remove(), hold() {}, giveBack: () => claim.unclaim() };
      entry.delivery.enqueue(letter.event, ticket);
    }
    return { redriven: claimed.length - unknownTarget, unknownTarget };
  }

  /** Events delivered to any target since start. */
  delivered(): number {
    return this.deliveries.reduce((sum, d) => sum + d.delivery.delivered, 0);
  }

  inFlight(): number {
    return this.deliveries.reduce((sum, d) => sum + d.delivery.inFlight, 0);
  }

  stats(): ForwardingStats {
    return {
      skippedOnPath: this.skippedOnPath,
      skippedHopLimit: this.skippedHopLimit,
      targets: this.deliveries.map(({ delivery: d }) => ({
        route: d.route,
        target: d.target.id,
        url: d.target.url,
        accepted: d.accepted,
        delivered: d.delivered,
        deadLettered: d.deadLettered,
        returned: d.returned,
        inFlight: d.inFlight,
        circuit: d.breaker.state,
      })),
    };
  }

  /**
   * Shutdown: stops taking events from the log, waits up to `timeoutMs` for every target to
   * deliver what it holds, then closes them: with the shared log the rest goes back to it for
   * another replica, with the memory log it is dead-lettered.
   */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(this.deliveries.map((d) => d.consumer.stop()));
    await Promise.all(this.deliveries.map((d) => d.delivery.idle(timeoutMs)));
    for (const { delivery } of this.deliveries) delivery.close('shutdown');
  }
}
