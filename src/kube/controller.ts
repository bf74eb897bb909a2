// A controller, as controller-runtime has it: informers only enqueue "namespace/name" keys; a work
// queue hands each key to one of N workers at a time; reconcile(key) reads what it needs from the
// caches and makes the world match (level-based, idempotent); a thrown error requeues the key with
// per-key exponential backoff; { requeueAfter } asks for a later run. Workers start only once every
// watched cache has synced, so a reconcile never acts on a half-filled cache.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import type { BackoffOptions } from './backoff.js';
import { controllerOf } from './apply.js';
import { objectKey } from './client.js';
import type { Clock } from './clock.js';
import type { Informer } from './informer.js';
import { keyOf } from './object-cache.js';
import { WorkQueue, type ProcessResult, type WorkQueueMetrics } from './work-queue.js';

export type ReconcileResult = ProcessResult;
/** Reconciles the object named by `key` ("namespace/name"); the signal aborts on a forced stop. */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
/** Turns a changed object into the keys to reconcile. */
export type KeyMapper<T> = (object: T) => readonly string[];

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  /** Keys reconciled at the same time (each key at most once); controller-runtime's default is 1. */
  workers?: number;
  backoff?: BackoffOptions;
  /** Queue and reconcile metric hooks; `processed` is called with the reconcile result. */
  metrics?: WorkQueueMetrics;
  /** How long start() waits for the caches before failing. */
  cacheSyncTimeoutMs?: number;
  /** How long stop() lets running reconciles (and queued keys) finish. */
  drainTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly informers = new Set<Informer<KubernetesObject>>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly cacheSyncTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private readonly stopController = new AbortController();

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.logger = options.logger?.child({ controller: options.name });
    this.cacheSyncTimeoutMs = options.cacheSyncTimeoutMs ?? 120_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    const reconcile = options.reconcile;
    this.queue = new WorkQueue({
      name: options.name,
      workers: options.workers ?? 1,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      process: (key, signal) => reconcile(key, signal),
      onError: (key, error, retryInMs) => this.logger?.error({ err: error, key, retryInMs }, 'reconcile failed'),
    });
  }

  /**
   * Enqueues keys for every add, update and delete seen by `informer`: the object's own key by
   * default, or what `mapper` returns (for an update, the keys of both the old and new object, so
   * a reference that was removed still triggers its former target).
   */
  watch<T extends KubernetesObject>(
    informer: Informer<T>,
    mapper: KeyMapper<T> = (object) => [keyOf(object)],
    options: { ignoreUpdate?: (previous: T, object: T) => boolean } = {},
  ): this {
    // One Set per event: a key both objects map to is added once (an add while its reconcile
    // already runs would make it run again).
    const enqueue = (...objects: T[]): void => {
      for (const key of new Set(objects.flatMap((object) => mapper(object)))) this.queue.add(key);
    };
    this.informers.add(informer as unknown as Informer<KubernetesObject>);
    this.unsubscribers.push(
      informer.on({
        add: (object) => enqueue(object),
        update: (previous, object) => {
          if (!options.ignoreUpdate?.(previous, object)) enqueue(previous, object);
        },
        delete: (object) => enqueue(object),
      }),
    );
    return this;
  }

  /** Enqueues the controller owner (of kind `ownerKind`) of each changed child object. */
  watchOwned<T extends KubernetesObject>(informer: Informer<T>, ownerKind: { apiVersion: string; kind: string }): this {
    return this.watch(informer, ownerKeyMapper(ownerKind));
  }

  /** Adds a key by hand (e.g. from a timer or an external signal). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the watched informers (idempotent), waits for their caches, then starts the workers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`controller ${this.name} was already started`);
    this.state = 'starting';
    for (const informer of this.informers) informer.start();
    await Promise.all(
      [...this.informers].map((informer) => informer.waitForSync({ timeoutMs: this.cacheSyncTimeoutMs, signal: this.stopController.signal })),
    );
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.queue.start();
    this.logger?.info({ queued: this.queue.depth }, 'caches synced; controller started');
  }

  /**
   * Stops taking events and lets queued and running reconciles finish within drainTimeoutMs.
   * Resolves true when they did. Informers are left running: they may be shared; stop them after.
   */
  async stop(): Promise<boolean> {
    if (this.state === 'stopped') return true;
    this.state = 'stopped';
    this.stopController.abort();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    const drained = await this.queue.shutDownWithDrain(this.drainTimeoutMs);
    if (!drained) this.logger?.warn({ timeoutMs: this.drainTimeoutMs }, 'reconciles still running at shutdown; abandoned');
    return drained;
  }
}

/**
 * controller-runtime's GenerationChangedPredicate, plus labels: an update that changed neither the
 * spec (generation) nor the labels nor deletion is a status write, most often the controller's
 * own, and reconciling for it would only do the same work again.
 */
export function onlyStatusChanged(previous: KubernetesObject, object: KubernetesObject): boolean {
  const before = previous.metadata ?? {};
  const after = object.metadata ?? {};
  return (
    before.generation === after.generation &&
    before.deletionTimestamp === after.deletionTimestamp &&
    JSON.stringify(before.labels ?? {}) === JSON.stringify(after.labels ?? {})
  );
}

/** Maps a child to its controller owner's key when the owner has the given kind. */
export function ownerKeyMapper(ownerKind: { apiVersion: string; kind: string }): KeyMapper<KubernetesObject> {
  const group = groupOf(ownerKind.apiVersion);
  return (object) => {
    const owner = controllerOf(object);
    // The owner's version may differ from ours (v1alpha1 vs v1beta1): compare groups only.
    if (!owner || owner.kind !== ownerKind.kind || groupOf(owner.apiVersion) !== group) return [];
    return [objectKey(object.metadata?.namespace, owner.name)];
  };
}

/**
 * For "objects that reference X": given an informer with an index whose values are the keys of
 * referenced objects, maps a changed X to the keys of everything that references it.
 */
export function referencingKeysMapper<T extends KubernetesObject>(indexed: Informer<T>, indexName: string): KeyMapper<KubernetesObject> {
  return (object) => indexed.keysByIndex(indexName, keyOf(object));
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
