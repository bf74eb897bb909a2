// A list-watch informer with a typed, indexed cache, built to outlive a flaky API server.
//
// Why not client-node 1.4's ListWatch (makeInformer) as it is? Reading its cache.js/watch.js:
// - on any watch or list error it emits 'error' and stops for good; on a clean close it
//   reconnects at once, with no backoff (a server closing watches at once is a hot loop);
// - Watch sets no timeout (its AbortSignal.timeout is overwritten) and ListWatch does not ask for
//   bookmarks, so a silently dead connection leaves the cache stale forever;
// - stop() during a pending list or fetch does not abort it (the request handle is assigned only
//   after the fetch resolves), and the AbortError of stop() is reported through 'error';
// - restarting (stop + start) races the old watch's done callback against the new request;
// - its cache has no indexes and update() gets only the new object.
// So this informer keeps client-node's Watch as the transport (auth, TLS, line parsing) behind a
// ListWatchSource, and runs its own reflector loop per namespace:
// - every attempt has a generation; callbacks of a superseded attempt are ignored, and a watch
//   handle that arrives after its attempt was superseded (or after stop) is aborted at once;
// - list/watch failures restart with exponential backoff and jitter; a watch that ends cleanly
//   after doing useful work resumes at once from the last resourceVersion;
// - 410 Gone (HTTP status or ERROR event) relists; the relist diffs against the cache and emits
//   the adds, updates and deletes that were missed;
// - a watchdog restarts a watch that saw no event or bookmark for watchdogMs;
// - stop() is final: it bumps the generation, clears every timer and aborts the watch.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/logger.js';
import { jitteredDelay, type BackoffOptions } from './backoff.js';
import { apiStatusCode } from './client.js';
import { systemClock, withTimeout, type Clock, type TimerHandle } from './clock.js';
import type { ListWatchSource, ResourceDescriptor, WatchEventType, WatchHandle } from './list-watch-source.js';
import { ObjectCache, keyOf, type IndexFunction } from './object-cache.js';

export interface InformerHandlers<T> {
  add?(object: T): void;
  update?(previous: T, object: T): void;
  delete?(object: T): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  resource: ResourceDescriptor;
  source: ListWatchSource<T>;
  /** Namespaces to watch (WATCH_NAMESPACES); empty or absent: all namespaces, one watch. */
  namespaces?: readonly string[];
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Applied to every object before it is cached (like client-go's SetTransform): e.g. drop
   * metadata.managedFields, which is often most of an object's size and nothing a reconcile reads.
   */
  transform?: (object: T) => T;
  /** Restart delay after failures: jittered exponential (client-go's reflector: 800 ms to 30 s). */
  backoff?: BackoffOptions;
  /** A watch with no event and no bookmark for this long is restarted. */
  watchdogMs?: number;
  /** A list that takes longer than this counts as failed (client-node sets no request timeout). */
  listTimeoutMs?: number;
  /** Server-side watch timeout is drawn from [min, 2*min] so watches do not all expire together. */
  minWatchTimeoutSeconds?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export const DEFAULT_INFORMER_BACKOFF: BackoffOptions = { baseMs: 800, maxMs: 30_000 };
export const DEFAULT_WATCHDOG_MS = 5 * 60_000;

/** A watch that ends sooner than this without any event counts as a failure (backs off). */
const MIN_HEALTHY_WATCH_MS = 1_000;

export class Informer<T extends KubernetesObject> {
  readonly resource: ResourceDescriptor;
  private readonly cache = new ObjectCache<T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly reflectors: Reflector<T>[];
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly transform: ((object: T) => T) | undefined;
  private syncWaiters: ((error?: Error) => void)[] = [];
  private started = false;
  private stopped = false;

  constructor(options: InformerOptions<T>) {
    this.resource = options.resource;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.transform = options.transform;
    const namespaces = options.resource.namespaced && options.namespaces?.length ? [...new Set(options.namespaces)] : [undefined];
    this.reflectors = namespaces.map((namespace) => new Reflector(this, options, namespace));
  }

  // ---- cache -------------------------------------------------------------------------------

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace, name);
  }

  getByKey(key: string): T | undefined {
    return this.cache.getByKey(key);
  }

  list(namespace?: string): T[] {
    return this.cache.list(namespace);
  }

  /** Adds a named index; `byIndex(name, value)` then returns the objects whose function gave `value`. */
  addIndex(name: string, indexFunction: IndexFunction<T>): void {
    this.cache.addIndex(name, indexFunction);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.cache.byIndex(indexName, value);
  }

  keysByIndex(indexName: string, value: string): string[] {
    return this.cache.keysByIndex(indexName, value);
  }

  // ---- events ------------------------------------------------------------------------------

  /**
   * Registers handlers; returns a function that removes them. Objects already in the cache are
   * replayed as adds, so a late handler misses nothing.
   */
  on(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    for (const object of this.cache.list()) this.call(() => handlers.add?.(object));
    return () => this.handlers.delete(handlers);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const reflector of this.reflectors) reflector.start();
  }

  /** Stops for good: no restart afterwards, whatever timer or request was pending. */
  stop(): void {
    this.stopped = true;
    for (const reflector of this.reflectors) reflector.stop();
    this.wakeSyncWaiters(new Error(`${this.resource.kind} informer stopped before it synced`));
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** True once every namespace's first list is in the cache. */
  hasSynced(): boolean {
    return this.reflectors.every((reflector) => reflector.synced);
  }

  /** Resolves when synced; rejects after `timeoutMs` or when `signal` aborts. */
  waitForSync(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`${this.resource.kind} informer is stopped`));
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const done = (error?: Error): void => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => done(new Error(`sync of ${this.resource.kind} aborted`));
      this.syncWaiters.push(done);
      if (options.timeoutMs !== undefined) {
        timer = this.clock.setTimeout(
          () => done(new Error(`${this.resource.kind} informer did not sync within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Restart counts and state, for metrics and health. */
  status(): { namespace: string; synced: boolean; restarts: number; resourceVersion: string }[] {
    return this.reflectors.map((reflector) => ({
      namespace: reflector.namespace ?? '',
      synced: reflector.synced,
      restarts: reflector.restarts,
      resourceVersion: reflector.resourceVersion,
    }));
  }

  // ---- used by the reflectors --------------------------------------------------------------

  /** @internal */
  applyUpsert(received: T): void {
    const object = this.transform ? this.transform(received) : received;
    const previous = this.cache.upsert(object);
    if (!previous) this.emit((handlers) => handlers.add?.(object));
    else if (!sameVersion(previous, object)) this.emit((handlers) => handlers.update?.(previous, object));
  }

  /** @internal */
  applyDelete(object: T): void {
    const previous = this.cache.remove(keyOf(object));
    if (previous) this.emit((handlers) => handlers.delete?.(object));
  }

  /** @internal Replaces what the cache holds in `namespace` (all when undefined) with a fresh list. */
  applyList(namespace: string | undefined, items: T[]): void {
    const listed = new Set(items.map(keyOf));
    for (const object of this.cache.list(namespace)) {
      if (!listed.has(keyOf(object))) this.applyDelete(object);
    }
    for (const object of items) this.applyUpsert(object);
  }

  /** @internal */
  onReflectorSynced(): void {
    if (this.hasSynced()) this.wakeSyncWaiters();
  }

  private wakeSyncWaiters(error?: Error): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake(error);
  }

  private emit(call: (handlers: InformerHandlers<T>) => void): void {
    for (const handlers of this.handlers) this.call(() => call(handlers));
  }

  private call(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      // A failing handler must not break the cache or the other handlers.
      this.logger?.error({ err: error, kind: this.resource.kind }, 'informer event handler threw');
    }
  }
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const version = a.metadata?.resourceVersion;
  return version !== undefined && version === b.metadata?.resourceVersion;
}

/** One list-watch loop (one namespace, or all). */
class Reflector<T extends KubernetesObject> {
  synced = false;
  restarts = 0;
  resourceVersion = '';

  private readonly source: ListWatchSource<T>;
  private readonly listOptions: { labelSelector?: string | undefined; fieldSelector?: string | undefined };
  private readonly backoff: BackoffOptions;
  private readonly watchdogMs: number;
  private readonly minWatchTimeoutSeconds: number;
  private readonly listTimeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;

  /** Bumped by every new attempt and by stop(): callbacks of older attempts are ignored. */
  private generation = 0;
  private stopped = false;
  private failures = 0;
  private watch: WatchHandle | undefined;
  private restartTimer: TimerHandle | undefined;
  private watchdogTimer: TimerHandle | undefined;

  constructor(
    private readonly informer: Informer<T>,
    options: InformerOptions<T>,
    readonly namespace: string | undefined,
  ) {
    this.source = options.source;
    this.listOptions = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    this.backoff = options.backoff ?? DEFAULT_INFORMER_BACKOFF;
    this.watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.minWatchTimeoutSeconds = options.minWatchTimeoutSeconds ?? 300;
    this.listTimeoutMs = options.listTimeoutMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger?.child({ kind: options.resource.kind, namespace: namespace ?? '*' });
  }

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    this.watch?.abort();
    this.watch = undefined;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    const current = (): boolean => generation === this.generation && !this.stopped;
    try {
      if (!this.resourceVersion) {
        const list = await this.listWithTimeout();
        if (!current()) return;
        this.informer.applyList(this.namespace, list.items);
        this.resourceVersion = list.resourceVersion;
        this.failures = 0;
        if (!this.synced) {
          this.synced = true;
          this.informer.onReflectorSynced();
        }
      }
      await this.startWatch(generation, current);
    } catch (error) {
      if (current()) this.failed(error, 'list');
    }
  }

  private listWithTimeout(): Promise<{ items: T[]; resourceVersion: string }> {
    return withTimeout(this.clock, this.source.list(this.namespace, this.listOptions), this.listTimeoutMs, () => {
      throw new Error(`list did not answer within ${this.listTimeoutMs} ms`);
    });
  }

  private async startWatch(generation: number, current: () => boolean): Promise<void> {
    const startedAt = this.clock.now();
    let events = 0;
    let serverError: { code?: number; message?: string } | undefined;
    this.armWatchdog(generation);

    const onEvent = (type: WatchEventType, object: T): void => {
      if (!current()) return;
      this.armWatchdog(generation);
      if (type === 'ERROR') {
        serverError = object as { code?: number; message?: string };
        return;
      }
      events++;
      if (type === 'ADDED' || type === 'MODIFIED') this.informer.applyUpsert(object);
      else if (type === 'DELETED') this.informer.applyDelete(object);
      const version = object.metadata?.resourceVersion;
      if (version) this.resourceVersion = version;
      this.failures = 0;
    };

    const onDone = (error?: unknown): void => {
      if (!current()) return;
      this.generation++; // this attempt is over; a late handle or callback is stale
      this.watch = undefined;
      this.clearTimers();
      const code = apiStatusCode(error) ?? serverError?.code;
      if (code === 410) {
        // Our resourceVersion is too old for the watch cache: relist, at once.
        this.logger?.info('watch answered 410 Gone; relisting');
        this.resourceVersion = '';
        this.scheduleRestart(0);
      } else if (error || serverError) {
        this.failed(error ?? new Error(serverError?.message ?? `watch error ${code}`), 'watch');
      } else if (events === 0 && this.clock.now() - startedAt < MIN_HEALTHY_WATCH_MS) {
        this.failed(new Error('watch closed at once without events'), 'watch');
      } else {
        // The server ended the watch (its timeout): resume from where we are.
        this.scheduleRestart(0);
      }
    };

    const timeoutSeconds = Math.floor(this.minWatchTimeoutSeconds * (1 + this.random()));
    const handle = await this.source.watch(
      this.namespace,
      { ...this.listOptions, resourceVersion: this.resourceVersion, timeoutSeconds },
      onEvent,
      onDone,
    );
    if (!current()) {
      handle.abort();
      return;
    }
    this.watch = handle;
  }

  private failed(error: unknown, during: 'list' | 'watch'): void {
    const delay = jitteredDelay(this.failures, this.backoff, this.random);
    this.failures++;
    this.logger?.warn(
      { err: error, during, retryInMs: Math.round(delay), failures: this.failures },
      'informer list/watch failed; restarting with backoff',
    );
    this.scheduleRestart(delay);
  }

  /** Restarts the watch when nothing arrived for watchdogMs: the connection may be dead silently. */
  private armWatchdog(generation: number): void {
    if (this.watchdogTimer !== undefined) this.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = undefined;
      if (generation !== this.generation || this.stopped) return;
      this.logger?.warn({ silentForMs: this.watchdogMs }, 'watch silent; restarting it');
      this.generation++;
      this.watch?.abort();
      this.watch = undefined;
      this.scheduleRestart(0);
    }, this.watchdogMs);
  }

  private scheduleRestart(delayMs: number): void {
    if (this.stopped) return;
    this.restarts++;
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      void this.attempt();
    }, delayMs);
  }

  private clearTimers(): void {
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    if (this.watchdogTimer !== undefined) this.clock.clearTimeout(this.watchdogTimer);
    this.restartTimer = undefined;
    this.watchdogTimer = undefined;
  }
}

/** A transform for InformerOptions.transform: drops metadata.managedFields to save memory. */
export function withoutManagedFields<T extends KubernetesObject>(object: T): T {
  if (!object.metadata?.managedFields) return object;
  return { ...object, metadata: { ...object.metadata, managedFields: undefined } };
}
