// Forwarding: every place events go (each peer, each target of each route) is one target, fed
// by one shared consumer of the event log, so each event is sent once per target however many
// replicas run (with the memory log, the one process is the only consumer) and however many
// routes (and the peer list) lead there. An event several of them match goes once, under the
// stricter of their delivery policies (delivery-policy.ts). Ingest never waits for a target.
// Loops are cut three ways: a gateway already on the event's path is skipped, forwarding stops at
// the hop limit, and receivers store an event id once (the log's duplicate window).
import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../../src/config/index.js';
import { targetKey } from '../../src/config/target-identity.js';
import { forwardedBy, hopsOf, pathOf, type McpEvent } from '../../src/event/index.js';
import type { Logger } from '../../src/observability/logger.js';
import { defineForm, type Envelope } from '../log/envelope.js';
import type { SharedConsumer, SharedConsumers, Ticket } from '../log/event-log.js';
import { loadClientTls } from './client-tls.js';
import type { DeadLetter, DeadLetterFilter, DeadLetters } from './dead-letters.js';
import { compilePolicy, stricter, type CompiledPolicy, type DeliveryPolicy } from './delivery-policy.js';
import { createGrpcSender } from './grpc-sender.js';
import { createHttpSender } from './http-sender.js';
import { Outgoing } from './outgoing.js';
import { compileRouteMatch } from './routing.js';
import { answerAll, type Sender } from './sender.js';
import type { Target } from './target.js';
import { TargetDelivery, type AttemptResult, type DeliverySettings } from './target-delivery.js';

/** The route name peers are delivered under. */
export const PEERS_ROUTE = 'peers';

/** Events a replica holds for one target at least (the rest wait in the log), when the queue is larger. */
const MIN_HELD_PER_TARGET = 1024;

/** Connections to a gRPC target at most (HTTP/2 multiplexes the requests in flight over them). */
const GRPC_CONNECTIONS = 4;

/** The event as it leaves this gateway (one forwarder per log, so one stamp per event). */
const OUTGOING = defineForm<Outgoing>();

/** How a sender is made for a target (tests inject their own). */
export type SenderFactory = (target: Target, settings: SenderSettings) => Sender;

export interface SenderSettings {
  /** Requests in flight at once. */
  connections: number;
  /** Events per request at most. */
  maxEvents: number;
}

type RouteMatch = GatewayConfig['routes'][number]['match'];

/** One way events reach a target: the peer list (no match: every event), or one route. */
interface Lane {
  route: string;
  match?: RouteMatch | undefined;
  matches: (event: McpEvent) => boolean;
  policy: CompiledPolicy;
}

interface TargetGroup {
  key: string;
  /** What the sender was made from: a change makes a new sender. */
  senderKey: string;
  delivery: TargetDelivery;
  consumer: SharedConsumer;
  lanes: Lane[];
  /** The stricter policy of each combination of lanes seen, by their indexes. */
  combined: Map<string, CompiledPolicy>;
}

export interface ForwarderOptions {
  selfId: string;
  logger: Logger;
  /** Where each target's shared consumer reads the log. */
  log: SharedConsumers;
  deadLetters: DeadLetters;
  /** Told of every dead letter after it is stored (sink, metrics). */
  onDeadLetter?: (letter: DeadLetter) => void;
  onAttempt?: (target: string, outcome: AttemptResult, count: number) => void;
  onRequest?: (target: string, events: number, seconds: number) => void;
  onCircuitOpened?: (target: string, lastError: string) => void;
  /** Signs an event as it leaves (federation signatures), after this gateway is on its path. */
  sign?: ((event: McpEvent) => McpEvent) | undefined;
  createSender?: SenderFactory;
  /** Wraps each target's sender with forward-attempt spans (tracing on). */
  traceSender?: ((sender: Sender, target: Target) => Sender) | undefined;
  /** How often held events are renewed with the log (below its acknowledgement wait). */
  holdIntervalMs?: number;
}

export interface TargetStats {
  /** The routes (and `peers`) that lead to it, comma-separated. */
  route: string;
  /** Each of them with what it matches (none: every event). */
  lanes: { route: string; match?: RouteMatch | undefined }[];
  target: string;
  url: string;
  format: string;
  mode: string;
  accepted: number;
  delivered: number;
  deadLettered: number;
  returned: number;
  inFlight: number;
  capacity: number;
  circuit: string;
  /** Requests that failed in a row (what opens the circuit). */
  failuresInARow: number;
  requests: number;
  requestSeconds: number;
  lastError: string | undefined;
  lastErrorAt: number | undefined;
  lastDeliveredAt: number | undefined;
  policy: DeliveryPolicy;
}

export interface ForwardingStats {
  skippedOnPath: number;
  skippedHopLimit: number;
  targets: TargetStats[];
}

/** What metrics read of each target: its counts. */
export type TargetCounts = Pick<
  TargetStats,
  'route' | 'target' | 'url' | 'accepted' | 'delivered' | 'deadLettered' | 'returned' | 'inFlight' | 'circuit'
>;

export interface ForwardingCounts {
  skippedOnPath: number;
  skippedHopLimit: number;
  targets: TargetCounts[];
}

/** The target's sender: gRPC for grpc(s)://, HTTP otherwise. A TLS file that cannot be read fails each attempt, naming it. */
export function defaultSender(target: Target, settings: SenderSettings): Sender {
  let tls;
  try {
    tls = loadClientTls(target.tls);
  } catch (error) {
    return unusableSender((error as Error).message);
  }
  if (target.url.startsWith('grpc')) {
    return createGrpcSender({
      url: target.url,
      connections: Math.min(settings.connections, GRPC_CONNECTIONS),
      maxEvents: settings.maxEvents,
      batch: target.batch,
      tls,
      secure: target.url.startsWith('grpcs:') || target.tls !== undefined,
    });
  }
  return createHttpSender({ target, connections: settings.connections, maxEvents: settings.maxEvents, tls });
}

function unusableSender(error: string): Sender {
  return {
    mode: 'single',
    maxEvents: 1,
    send: async (events) => answerAll(events, { protocol: 'none', status: 'tls_config', error }),
    close() {},
  };
}

const hashed = (value: string) => `fwd-${createHash('sha256').update(value).digest('hex').slice(0, 20)}`;

/** The shared consumer of one target: the same name on every replica and across restarts, whichever routes lead there. */
export function consumerName(target: Pick<Target, 'url' | 'format'>): string {
  return hashed(targetKey(target));
}

/** The name the consumer of one (route, target) had before targets were shared by routes: taken over on upgrade. */
export function legacyConsumerName(route: string, target: Pick<Target, 'id' | 'url'>): string {
  return hashed(JSON.stringify([route, target.id, target.url]));
}

export class Forwarder {
  private groups: TargetGroup[] = [];
  private skippedOnPath = 0;
  private skippedHopLimit = 0;
  private maxHops = 8;
  /** Each event as it leaves this gateway, stamped and encoded once however many targets it goes to. */
  private readonly leaving = (envelope: Envelope) => new Outgoing(this.stamp(envelope.event));

  constructor(private readonly options: ForwarderOptions) {}

  /**
   * (Re)builds the targets from the config's peers and routes. A target that stays keeps what it
   * holds (its routes, policies and settings are updated in place); one that is gone is closed
   * (its events dead-lettered as target_removed) and its consumer removed from the log.
   */
  configure(config: GatewayConfig): void {
    const forwarding = config.forwarding;
    this.maxHops = forwarding.maxHops;
    const wanted = new Map<string, { target: Target; lanes: Lane[] }>();
    const add = (route: string, target: Target, policy: DeliveryPolicy, match?: RouteMatch) => {
      const key = targetKey(target);
      const entry = wanted.get(key) ?? { target, lanes: [] };
      entry.lanes.push({ route, match, matches: match ? compileRouteMatch(match) : () => true, policy: compilePolicy(policy) });
      wanted.set(key, entry);
    };
    const baseRetry = {
      maxAttempts: forwarding.retry.maxAttempts,
      initialBackoffMs: forwarding.retry.initialBackoff,
      maxBackoffMs: forwarding.retry.maxBackoff,
      retryOn: forwarding.retry.retryOn,
    };
    for (const target of forwarding.targets) add(PEERS_ROUTE, target, { timeoutMs: forwarding.timeout, retry: baseRetry });
    for (const route of config.routes) {
      const policy: DeliveryPolicy = {
        timeoutMs: route.delivery.timeout ?? forwarding.timeout,
        retry: {
          maxAttempts: route.delivery.retry?.maxAttempts ?? baseRetry.maxAttempts,
          initialBackoffMs: route.delivery.retry?.initialBackoff ?? baseRetry.initialBackoffMs,
          maxBackoffMs: route.delivery.retry?.maxBackoff ?? baseRetry.maxBackoffMs,
          retryOn: route.delivery.retry?.retryOn ?? baseRetry.retryOn,
        },
      };
      for (const target of route.targets) add(`route/${route.name}`, target, policy, route.match);
    }

    const existing = new Map(this.groups.map((g) => [g.key, g] as const));
    const next: TargetGroup[] = [];
    for (const [key, { target, lanes }] of wanted) {
      const settings: DeliverySettings = {
        target,
        concurrency: forwarding.concurrency,
        maxBatchBytes: forwarding.batch.maxBytes,
        capacity: forwarding.queueSize,
        breaker: { failureThreshold: forwarding.circuitBreaker.failureThreshold, cooldownMs: forwarding.circuitBreaker.cooldown },
      };
      const senderSettings: SenderSettings = { connections: forwarding.concurrency, maxEvents: forwarding.batch.maxEvents };
      const senderKey = JSON.stringify([target, senderSettings]);
      const kept = existing.get(key);
      if (kept) {
        existing.delete(key);
        kept.delivery.reconfigure(settings, kept.senderKey === senderKey ? undefined : this.makeSender(target, senderSettings));
        Object.assign(kept, { senderKey, lanes, combined: new Map() });
        next.push(kept);
        continue;
      }
      next.push(this.createGroup(key, senderKey, settings, senderSettings, lanes, forwarding));
    }
    for (const gone of existing.values()) {
      gone.delivery.close('target_removed');
      gone.consumer
        .remove()
        .catch((error: Error) =>
          this.options.logger.warn(
            { target: gone.delivery.target.id, error: error.message },
            'could not remove the log consumer of a removed target',
          ),
        );
    }
    this.groups = next;
    this.options.logger.info(
      { targets: next.map((g) => ({ id: g.delivery.target.id, routes: g.lanes.map((l) => l.route) })), routes: config.routes.map((r) => r.name) },
      'forwarding configured',
    );
  }

  private makeSender(target: Target, settings: SenderSettings): Sender {
    const sender = (this.options.createSender ?? defaultSender)(target, settings);
    return this.options.traceSender ? this.options.traceSender(sender, target) : sender;
  }

  private createGroup(
    key: string,
    senderKey: string,
    settings: DeliverySettings,
    senderSettings: SenderSettings,
    lanes: Lane[],
    forwarding: GatewayConfig['forwarding'],
  ): TargetGroup {
    const target = settings.target;
    const id = () => delivery.target.id;
    const delivery: TargetDelivery = new TargetDelivery({
      sender: this.makeSender(target, senderSettings),
      holdIntervalMs: this.options.holdIntervalMs,
      deadLetter: (letter) => {
        const stored = this.options.deadLetters.add(letter);
        if (stored instanceof Promise) return stored.then((kept) => this.options.onDeadLetter?.(kept));
        this.options.onDeadLetter?.(stored);
        return undefined;
      },
      onAttempt: (outcome, count) => this.options.onAttempt?.(id(), outcome, count),
      onRequest: (events, seconds) => this.options.onRequest?.(id(), events, seconds),
      onCircuitOpened: (lastError) => this.options.onCircuitOpened?.(id(), lastError),
      ...settings,
    });
    const group = { key, senderKey, delivery, lanes, combined: new Map() } as Omit<TargetGroup, 'consumer'> as TargetGroup;
    group.consumer = this.options.log.consumeShared(consumerName(target), (envelope, ticket) => this.offer(group, envelope, ticket), {
      maxHeld: Math.min(forwarding.queueSize, Math.max(MIN_HELD_PER_TARGET, forwarding.batch.maxEvents * forwarding.concurrency)),
      description: `forwarding to ${target.url}`,
      // With the memory log, a target that falls behind slows ingest rather than losing events to queue_full.
      shortOfRoom: (ahead, count) => group.delivery.shortOfRoom(ahead, count),
      // Before one consumer served all routes to a target, each (route, target) had its own.
      replaces: lanes.map((lane) => legacyConsumerName(lane.route, target)),
    });
    return group;
  }

  /** One event of the log, for one target: sent on (once, under the stricter policy of what matched), or settled as not for it. */
  private offer(group: TargetGroup, envelope: Envelope, ticket: Ticket): void {
    const event = envelope.event;
    const matched: number[] = [];
    group.lanes.forEach((lane, i) => {
      if (lane.matches(event)) matched.push(i);
    });
    if (matched.length === 0) {
      ticket.settle();
      return;
    }
    if (hopsOf(event) >= this.maxHops) {
      this.skippedHopLimit++;
      ticket.settle();
      return;
    }
    const target = group.delivery.target;
    const path = pathOf(event);
    // It came back around (this gateway forwarded it before), or the target has seen it.
    if (path.includes(this.options.selfId) || target.id === this.options.selfId || path.includes(target.id)) {
      this.skippedOnPath++;
      ticket.settle();
      return;
    }
    const { policy, route } = this.policyOf(group, matched);
    // The memory log's tickets need nothing; the shared log's are held until the event leaves.
    group.delivery.enqueue(this.outgoingOf(envelope), policy, route, ticket.returnable ? ticket : undefined, ticket.redeliveries);
  }

  private policyOf(group: TargetGroup, lanes: number[]): { policy: CompiledPolicy; route: string } {
    const route = lanes.map((i) => group.lanes[i]!.route).join(',');
    if (lanes.length === 1) return { policy: group.lanes[lanes[0]!]!.policy, route };
    const key = lanes.join(',');
    let policy = group.combined.get(key);
    if (!policy) {
      policy = compilePolicy(stricter(lanes.map((i) => group.lanes[i]!.policy)));
      group.combined.set(key, policy);
    }
    return { policy, route };
  }

  private outgoingOf(envelope: Envelope): Outgoing {
    return envelope.derived(OUTGOING, this.leaving);
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
      const group = this.groups.find((g) => g.delivery.target.id === letter.target);
      if (!group) {
        claim.unclaim();
        unknownTarget++;
        continue;
      }
      const routes = new Set(letter.route.split(','));
      const lanes = group.lanes.flatMap((lane, i) => (routes.has(lane.route) ? [i] : []));
      const { policy } = this.policyOf(group, lanes.length > 0 ? lanes : group.lanes.map((_, i) => i));
      // The old letter goes once the event is delivered or dead-lettered anew; it stays if this replica stops first.
      const ticket: Ticket = {
        backlog: 0,
        redeliveries: 0,
        returnable: true,
        settle: () => claim.remove(),
        hold() {},
        giveBack: () => claim.unclaim(),
      };
      group.delivery.enqueue(new Outgoing(letter.event), policy, letter.route, ticket);
    }
    return { redriven: claimed.length - unknownTarget, unknownTarget };
  }

  /** Events delivered to any target since start. */
  delivered(): number {
    return this.groups.reduce((sum, g) => sum + g.delivery.delivered, 0);
  }

  inFlight(): number {
    return this.groups.reduce((sum, g) => sum + g.delivery.inFlight, 0);
  }

  stats(): ForwardingStats {
    return {
      skippedOnPath: this.skippedOnPath,
      skippedHopLimit: this.skippedHopLimit,
      targets: this.groups.map(({ delivery: d, lanes }) => ({
        route: lanes.map((l) => l.route).join(','),
        lanes: lanes.map(({ route, match }) => ({ route, match })),
        target: d.target.id,
        url: d.target.url,
        format: d.target.format,
        mode: d.mode,
        accepted: d.accepted,
        delivered: d.delivered,
        deadLettered: d.deadLettered,
        returned: d.returned,
        inFlight: d.inFlight,
        capacity: d.capacity,
        circuit: d.breaker.state,
        failuresInARow: d.breaker.failuresInARow,
        requests: d.requests,
        requestSeconds: d.requestSeconds,
        lastError: d.lastError,
        lastErrorAt: d.lastErrorAt,
        lastDeliveredAt: d.lastDeliveredAt,
        policy: stricter(lanes.map((l) => l.policy)),
      })),
    };
  }

  /**
   * Shutdown: stops taking events from the log, waits up to `timeoutMs` for every target to
   * deliver what it holds, then closes them: with the shared log the rest goes back to it for
   * another replica, with the memory log it is dead-lettered.
   */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(this.groups.map((g) => g.consumer.stop()));
    await Promise.all(this.groups.map((g) => g.delivery.idle(timeoutMs)));
    for (const { delivery } of this.groups) delivery.close('shutdown');
  }
}
