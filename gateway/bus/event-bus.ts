// The heart of the gateway: accepted events enter a bounded buffer, and a dispatch loop fans
// them out to the sinks (history, subscribers, later routes and recorders) in batches, yielding
// to I/O between batches. A full buffer refuses the event (429 / RESOURCE_EXHAUSTED); nothing is
// dropped silently.
import type { McpEvent } from '../../src/event/index.js';
import { BoundedQueue } from './bounded-queue.js';
import { Envelope } from './envelope.js';

/** Something that receives every dispatched event, synchronously and without blocking. */
export interface DispatchSink {
  dispatch(envelope: Envelope): void;
}

export type PublishResult = 'accepted' | 'buffer_full' | 'closed';

export interface EventBusOptions {
  bufferSize: number;
  sinks: DispatchSink[];
  /** Most events dispatched per turn of the event loop before yielding to I/O. */
  batchSize?: number;
  /** Most time spent dispatching per turn: with a thousand subscribers one event is a thousand
   * writes, so a count alone could hold the loop (and ingest) for a long time. */
  turnBudgetMs?: number;
  now?: () => number;
  onDispatched?: (count: number) => void;
}

export class EventBus {
  private readonly buffer: BoundedQueue<Envelope>;
  private readonly sinks: DispatchSink[];
  private readonly batchSize: number;
  private readonly turnBudgetMs: number;
  private readonly now: () => number;
  private readonly onDispatched: (count: number) => void;
  private scheduled = false;
  private open = true;
  private seq = 0;
  private drainWaiters: (() => void)[] = [];
  /** Events accepted since start. */
  accepted = 0;
  /** Events taken out of the buffer and given to every sink. */
  dispatched = 0;

  constructor(options: EventBusOptions) {
    this.buffer = new BoundedQueue(options.bufferSize);
    this.sinks = options.sinks;
    this.batchSize = options.batchSize ?? 256;
    this.turnBudgetMs = options.turnBudgetMs ?? 5;
    this.now = options.now ?? Date.now;
    this.onDispatched = options.onDispatched ?? (() => {});
  }

  get depth(): number {
    return this.buffer.length;
  }

  get capacity(): number {
    return this.buffer.capacity;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Adds a sink before traffic starts (one that is only built at start, such as Kubernetes Events). */
  addSink(sink: DispatchSink): void {
    this.sinks.push(sink);
  }

  /** True when `count` more events would fit right now (for all-or-nothing batches). */
  hasRoomFor(count: number): boolean {
    return this.buffer.capacity - this.buffer.length >= count;
  }

  publish(event: McpEvent, origin?: string): PublishResult {
    if (!this.open) return 'closed';
    if (!this.buffer.push(new Envelope(event, this.now(), origin, ++this.seq))) return 'buffer_full';
    this.accepted++;
    this.schedule();
    return 'accepted';
  }

  /** Stops intake; what is already buffered is still dispatched. */
  close(): void {
    this.open = false;
  }

  /** Resolves once the buffer is empty (everything accepted has reached the sinks). */
  drained(): Promise<void> {
    if (this.buffer.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.dispatchBatch);
  }

  private readonly dispatchBatch = (): void => {
    this.scheduled = false;
    const started = performance.now();
    let count = 0;
    while (count < this.batchSize) {
      const envelope = this.buffer.shift();
      if (envelope === undefined) break;
      for (const sink of this.sinks) sink.dispatch(envelope);
      count++;
      if (performance.now() - started >= this.turnBudgetMs) break;
    }
    this.dispatched += count;
    if (count > 0) this.onDispatched(count);
    if (this.buffer.length > 0) {
      this.schedule();
    } else if (this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
}
