// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules:
// - a candidate tries every retryPeriod (jittered) to take the Lease, which it may when nobody
//   holds it, or the holder released it, or the record has not changed for leaseDuration as seen
//   on *our* clock (the holder's timestamps are never compared with our clock: no skew problems);
// - the leader renews every retryPeriod; when no renewal succeeded for renewDeadline it stops
//   leading (renewDeadline < leaseDuration, so it stops before anyone else may take over);
// - every write carries the resourceVersion it read (optimistic concurrency): two candidates can
//   never both win one round;
// - on a graceful stop the leader releases the Lease (empty holder, 1 s duration) so a standby takes
//   over at its next retry instead of waiting out the lease.
// Lease times are MicroTime (six fractional digits), see micro-time.ts.
import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { isConflict, isNotFound } from './client.js';
import { sleep, systemClock, withTimeout, type Clock } from './clock.js';
import { microTime } from './micro-time.js';

/** What the elector needs from the API: a real one over CoordinationV1Api, a fake in unit tests. */
export interface LeaseStore {
  /** The Lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<V1Lease | undefined>;
  create(namespace: string, lease: V1Lease): Promise<V1Lease>;
  /** Replaces the Lease; must fail with a 409 when `lease.metadata.resourceVersion` is stale. */
  replace(namespace: string, lease: V1Lease): Promise<V1Lease>;
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  namespace: string;
  name: string;
  /** Unique per process (e.g. pod name + random). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called when this process becomes leader; `signal` aborts when it stops leading. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called once when this process stops leading (lost the Lease, or was stopped). */
  onStoppedLeading?: () => void;
  /** Called when the observed leader changes (including to us). */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/** client-go's defaults. */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly store: LeaseStore;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly options: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;

  /** The last Lease we read or wrote, and when (our clock) its record last changed. */
  private observed: V1Lease | undefined;
  private observedRecord = '';
  private observedAt = 0;
  private leading = false;
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.store = options.store;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) throw new RangeError('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) throw new RangeError('renewDeadline must be greater than retryPeriod * 1.2');
    if (!options.identity) throw new Error('identity is required');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Identity of the leader as last observed ('' when none). */
  observedLeader(): string {
    return this.observed?.spec?.holderIdentity ?? '';
  }

  /**
   * Campaigns until it becomes leader, then renews until it loses the Lease or stop() is called.
   * Resolves when it is no longer leading (or was stopped before winning); it does not campaign
   * again: like client-go, a process that lost leadership should exit.
   */
  run(): Promise<void> {
    this.running ??= this.campaignAndLead();
    return this.running;
  }

  /** Stops campaigning or leading; a leader releases the Lease. Resolves when run() has ended. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
  }

  private async campaignAndLead(): Promise<void> {
    const stopped = this.stopController.signal;
    while (!stopped.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      await sleep(this.clock, this.jittered(this.retryPeriodMs), stopped);
    }
    if (stopped.aborted) return;

    this.leading = true;
    const leadership = new AbortController();
    this.logger?.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'became leader');
    try {
      this.options.onStartedLeading(leadership.signal);
      await this.renewUntilLost(stopped);
    } finally {
      this.leading = false;
      leadership.abort();
      if (stopped.aborted) await this.release();
      else this.logger?.warn({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'lost leadership');
      this.options.onStoppedLeading?.();
    }
  }

  private async renewUntilLost(stopped: AbortSignal): Promise<void> {
    let lastRenewed = this.clock.now();
    while (!stopped.aborted) {
      await sleep(this.clock, this.retryPeriodMs, stopped);
      if (stopped.aborted) return;
      // Each attempt is bounded by what is left of the deadline: a hung request must not keep us
      // leading past renewDeadline.
      const left = lastRenewed + this.renewDeadlineMs - this.clock.now();
      const renewed = left > 0 && (await withTimeout(this.clock, this.tryAcquireOrRenew(), left, () => false));
      if (renewed) lastRenewed = this.clock.now();
      else if (this.clock.now() - lastRenewed >= this.renewDeadlineMs) return;
    }
  }

  /** One round: read the Lease, and take or renew it if we may. True when we hold it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    let current: V1Lease | undefined;
    try {
      current = await this.store.get(this.namespace, this.name);
    } catch (error) {
      this.logger?.debug({ err: error }, 'reading the lease failed');
      return false;
    }
    if (!current) {
      try {
        const created = await this.store.create(this.namespace, this.leaseFor(undefined, now));
        this.observe(created);
        return true;
      } catch (error) {
        // Someone else created it between our read and create: they won this round.
        this.logger?.debug({ err: error }, 'creating the lease failed');
        return false;
      }
    }
    this.observe(current);
    const holder = current.spec?.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== this.identity;
    const durationMs = (current.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (heldByOther && this.observedAt + durationMs > now) return false;
    try {
      const updated = await this.store.replace(this.namespace, this.leaseFor(current, now));
      this.observe(updated);
      return true;
    } catch (error) {
      if (!isConflict(error)) this.logger?.debug({ err: error }, 'updating the lease failed');
      return false;
    }
  }

  /** The Lease as we want it: held by us, renewed now; acquireTime and transitions move on takeover. */
  private leaseFor(current: V1Lease | undefined, now: number): V1Lease {
    const takingOver = current?.spec?.holderIdentity !== this.identity;
    const transitions = current?.spec?.leaseTransitions ?? 0;
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: current?.metadata ? { ...current.metadata, managedFields: undefined } : { name: this.name, namespace: this.namespace },
      spec: {
        ...current?.spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: microTime(now),
        acquireTime: takingOver || !current?.spec?.acquireTime ? microTime(now) : current.spec.acquireTime,
        leaseTransitions: current && takingOver && current.spec?.holderIdentity ? transitions + 1 : transitions,
      },
    };
  }

  /** Gives the Lease up so a standby need not wait for it to expire. Best effort. */
  private async release(): Promise<void> {
    const current = this.observed;
    if (!current || current.spec?.holderIdentity !== this.identity) return;
    const now = this.clock.now();
    try {
      await this.store.replace(this.namespace, {
        ...current,
        metadata: { ...current.metadata, managedFields: undefined },
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now), acquireTime: microTime(now) },
      });
      this.logger?.info({ lease: `${this.namespace}/${this.name}` }, 'released the lease');
    } catch (error) {
      this.logger?.warn({ err: error }, 'releasing the lease failed; a standby takes over when it expires');
    }
  }

  private observe(lease: V1Lease): void {
    const record = JSON.stringify([
      lease.spec?.holderIdentity,
      String(lease.spec?.renewTime),
      lease.spec?.leaseDurationSeconds,
      lease.spec?.leaseTransitions,
    ]);
    const previousLeader = this.observedLeader();
    this.observed = lease;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = this.clock.now();
    }
    const leader = this.observedLeader();
    if (leader !== previousLeader && leader !== '') this.options.onNewLeader?.(leader);
  }

  private jittered(periodMs: number): number {
    return periodMs + this.random() * (JITTER_FACTOR - 1) * periodMs;
  }
}

/** The real store, over CoordinationV1Api. */
export function createLeaseStore(api: CoordinationV1Api): LeaseStore {
  return {
    async get(namespace, name) {
      try {
        return await api.readNamespacedLease({ name, namespace });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    create: (namespace, lease) => api.createNamespacedLease({ namespace, body: lease }),
    replace: (namespace, lease) => api.replaceNamespacedLease({ name: lease.metadata!.name!, namespace, body: lease }),
  };
}
