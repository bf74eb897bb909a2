// Prometheus metrics for controllers and their work queues, named like controller-runtime's so
// the usual dashboards and alerts apply: reconciles by result, reconcile time, queue depth, adds,
// retries, time in queue, and the longest running reconcile.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { WorkQueue, WorkQueueMetrics } from './work-queue.js';

export interface ControllerMetrics {
  /** Hooks to pass as `metrics` to a Controller or WorkQueue. */
  hooks: WorkQueueMetrics;
  /** Reports a queue's longest running reconcile and unfinished keys when scraped. */
  observeQueue(queue: WorkQueue): void;
}

export function createControllerMetrics(registry: Registry): ControllerMetrics {
  const queues = new Set<WorkQueue>();
  const reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciles by controller and result (success, requeue_after, error).',
    labelNames: ['controller', 'result'],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciles that failed and were requeued with backoff.',
    labelNames: ['controller'],
    registers: [registry],
  });
  const reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time per reconcile.',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const depth = new Gauge({ name: 'workqueue_depth', help: 'Keys waiting to be processed.', labelNames: ['name'], registers: [registry] });
  const adds = new Counter({ name: 'workqueue_adds_total', help: 'Keys added.', labelNames: ['name'], registers: [registry] });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Keys requeued after a failure.',
    labelNames: ['name'],
    registers: [registry],
  });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Time a key waits in the queue before a worker takes it.',
    labelNames: ['name'],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How long the longest running reconcile of each queue has been going.',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      for (const queue of queues) this.set({ name: queue.name }, queue.longestRunningMs() / 1000);
    },
  });
  new Gauge({
    name: 'workqueue_unfinished_work',
    help: 'Keys being processed right now.',
    labelNames: ['name'],
    registers: [registry],
    collect() {
      for (const queue of queues) this.set({ name: queue.name }, queue.inFlight);
    },
  });

  return {
    hooks: {
      added: (name) => adds.inc({ name }),
      retried: (name) => retries.inc({ name }),
      depth: (name, value) => depth.set({ name }, value),
      queued: (name, waitMs) => queueDuration.observe({ name }, waitMs / 1000),
      processed: (controller, durationMs, outcome) => {
        reconcileTotal.inc({ controller, result: outcome });
        if (outcome === 'error') reconcileErrors.inc({ controller });
        reconcileTime.observe({ controller }, durationMs / 1000);
      },
    },
    observeQueue: (queue) => void queues.add(queue),
  };
}
