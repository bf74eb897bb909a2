// A controller, as controller-runtime has it: informers only enqueue requests ({namespace, name});
// a work queue hands each to one of N workers at a time; reconcile(request, signal) reads what it
// needs from the caches and makes the world match (level-based, idempotent); a thrown error
// requeues the request with per-key exponential backoff; { requeueAfter } asks for a later run.
// Workers start only once every watched cache has synced, so a reconcile never acts on a
// half-filled cache. Wiring reads like controller-runtime's builder: for() the kind reconciled,
// owns() its children, watches() anything else that should make it look again.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import type { BackoffOptions } from './backoff.js';
import { controllerOf } from './apply.js';
import { systemClock, type Clock } from './clock.js';
import type { Informer } from './informer.js';
import { requestFor, requestFromKey, requestKey, type Request } from './request.js';
import { WorkQueue, type ProcessResult, type WorkQueueMetrics } from './work-queue.js';

export type ReconcileResult = ProcessResult;
/**
 * Reconciles the object `request` names. The signal aborts when the reconcile runs past its
 * timeout or the controller is stopped by force: pass it to API calls, check it between writes.
 */
export type Reconcile = (request: Request, signal: AbortSignal) => Promise<ReconcileResult>;
/** Turns a changed object into the requests to reconcile (controller-runtime's MapFunc). */
export type RequestMapper<T> = (object: T) => readonly Request[];
export type UpdateFilter<T> = (previous: T, object: T) => boolean;

/** The reason a reconcile's signal aborts when it runs past its time. */
export class ReconcileTimeoutError extends Error {
  constructor(
    readonly request: Request,
    readonly timeoutMs: number,
  ) {
    super(`reconcile of ${requestKey(request)} did not finish within ${timeoutMs} ms`);
    this.name = 'ReconcileTimeoutError';
  }
}

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
  /** One reconcile's time; then its signal aborts with ReconcileTimeoutError (it is retried with backoff). */
  reconcileTimeoutMs?: number;
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
    const reconcileTimeoutMs = options.reconcileTimeoutMs ?? 60_000;
    const clock = options.clock ?? systemClock;
    const reconcile = options.reconcile;
    this.queue = new WorkQueue({
      name: options.name,
      workers: options.workers ?? 1,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      clock,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      process: (key, stopSignal) => withDeadline(clock, reconcileTimeoutMs, requestFromKey(key), stopSignal, reconcile),
      onError: (key, error, retryInMs) => this.logger?.error({ err: error, key, retryInMs }, 'reconcile failed'),
    });
  }

  /** Reconciles each object of `informer` (the kind this controller is for). */
  for<T extends KubernetesObject>(informer: Informer<T>, options: { ignoreUpdate?: UpdateFilter<T> } = {}): this {
    return this.watches(informer, (object) => [requestFor(object)], options);
  }

  /** Reconciles the controller owner (of kind `ownerKind`) of each changed object of these informers. */
  owns(ownerKind: { apiVersion: string; kind: string }, ...informers: Informer<KubernetesObject>[]): this {
    const mapper = ownerRequestMapper(ownerKind);
    for (const informer of informers) this.watches(informer, mapper);
    return this;
  }

  /**
   * Enqueues what `mapper` returns for every add, update and delete seen by `informer` (for an
   * update, the requests of both the old and new object, so a reference that was removed still
   * triggers its former target).
   */
  watches<T extends KubernetesObject>(informer: Informer<T>, mapper: RequestMapper<T>, options: { ignoreUpdate?: UpdateFilter<T> } = {}): this {
    // One Set per event: a request both objects map to is added once (an add while its reconcile
    // already runs would make it run again).
    const enqueue = (...objects: T[]): void => {
      for (const key of new Set(objects.flatMap((object) => mapper(object).map(requestKey)))) this.queue.add(key);
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

  /** Adds a request by hand (e.g. from a timer or an external signal). */
  enqueue(request: Request): void {
    this.queue.add(requestKey(request));
  }

  /** The informers this controller watches (their caches must sync before it reconciles). */
  get watched(): readonly Informer<KubernetesObject>[] {
    return [...this.informers];
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

/** Maps a child to its controller owner when the owner has the given kind. */
export function ownerRequestMapper(ownerKind: { apiVersion: string; kind: string }): RequestMapper<KubernetesObject> {
  const group = groupOf(ownerKind.apiVersion);
  return (object) => {
    const owner = controllerOf(object);
    // The owner's version may differ from ours (v1alpha1 vs v1beta1): compare groups only.
    if (!owner || owner.kind !== ownerKind.kind || groupOf(owner.apiVersion) !== group) return [];
    return [{ namespace: object.metadata?.namespace, name: owner.name }];
  };
}

/**
 * For "objects that reference X": given an informer with an index whose values are the keys of
 * referenced objects, maps a changed X to everything that references it.
 */
export function referencingRequestMapper<T extends KubernetesObject>(indexed: Informer<T>, indexName: string): RequestMapper<KubernetesObject> {
  return (object) => indexed.keysByIndex(indexName, requestKey(requestFor(object))).map(requestFromKey);
}

/**
 * Runs one reconcile with a signal that aborts at its deadline or when the queue aborts (a
 * forced stop). The run is not abandoned at the deadline: the queue promises one run per key at
 * a time, so the reconcile must notice the signal and return (or throw) itself.
 */
async function withDeadline(
  clock: Clock,
  timeoutMs: number,
  request: Request,
  stopSignal: AbortSignal,
  reconcile: Reconcile,
): Promise<ReconcileResult> {
  const deadline = new AbortController();
  const onStop = (): void => deadline.abort(stopSignal.reason);
  if (stopSignal.aborted) onStop();
  else stopSignal.addEventListener('abort', onStop, { once: true });
  const timer = clock.setTimeout(() => deadline.abort(new ReconcileTimeoutError(request, timeoutMs)), timeoutMs);
  try {
    return await reconcile(request, deadline.signal);
  } finally {
    clock.clearTimeout(timer);
    stopSignal.removeEventListener('abort', onStop);
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
