import { describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createControllerMetrics } from '../../../src/kube/controller-metrics.js';
import { WorkQueue } from '../../../src/kube/work-queue.js';

describe('controller metrics', () => {
  it('counts reconciles by result and exposes queue gauges', async () => {
    const registry = new Registry();
    const metrics = createControllerMetrics(registry);
    let calls = 0;
    const queue = new WorkQueue({
      name: 'mcpserver',
      workers: 1,
      metrics: metrics.hooks,
      backoff: { baseMs: 1, maxMs: 1 },
      process: async () => {
        if (++calls === 1) throw new Error('first fails');
      },
    });
    metrics.observeQueue(queue);
    queue.add('a/b');
    queue.start();
    // The failed run is retried after its 1 ms backoff; wait for the queue to finish both runs.
    await vi.waitFor(() => expect(calls).toBe(2));
    await queue.shutDownWithDrain(1000);
    const text = await registry.metrics();
    expect(text).toContain('controller_runtime_reconcile_total{controller="mcpserver",result="error"} 1');
    expect(text).toContain('controller_runtime_reconcile_total{controller="mcpserver",result="success"} 1');
    expect(text).toContain('controller_runtime_reconcile_errors_total{controller="mcpserver"} 1');
    expect(text).toContain('workqueue_retries_total{name="mcpserver"} 1');
    expect(text).toContain('workqueue_depth{name="mcpserver"} 0');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="mcpserver"} 0');
  });
});
