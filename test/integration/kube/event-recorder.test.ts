// The event recorder against a real kube-apiserver: Events are accepted (MicroTime, required
// fields), carry the caller's labels, and aggregate into series with exact counts.
import { type EventsV1Event } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, waitUntil } from '../../harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { EventRecorder, createEventsApiWriter } from '../../../src/kube/event-recorder.js';

const kubeconfig = inject('kubeconfig');

describe('EventRecorder (real API server)', () => {
  const kc = loadKubeConfig({ path: kubeconfig });
  const clients = createKubeClients(kc);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'kube-events');
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  it('creates Events with the required fields and aggregates repeats into exact series counts', async () => {
    const recorder = new EventRecorder({
      writer: createEventsApiWriter(clients.events),
      reportingController: 'mcp.tas.ai/gateway',
      reportingInstance: 'gw-0',
      qps: 5,
      burst: 3,
    });
    const regarding = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: 'gw', uid: '00000000-0000-0000-0000-000000000001' };
    const labels = { 'mcp.tas.ai/server': 'gw', 'mcp.tas.ai/test': 'events' };
    for (let i = 0; i < 200; i++) {
      recorder.record({ regarding, type: 'Normal', reason: 'EventDispatched', action: 'Dispatch', note: 'tool.called dispatched', labels });
    }
    recorder.record({ regarding, type: 'Warning', reason: 'ForwardFailed', action: 'Forward', note: 'peer unreachable', labels });
    await waitUntil('recorder flushed', async () => recorder.stats().pending + recorder.stats().inFlight === 0, 30_000, 50);
    expect(recorder.stats()).toMatchObject({ recorded: 201, written: 201, failed: 0, dropped: 0 });

    const list = await clients.events.listNamespacedEvent({ namespace, labelSelector: 'mcp.tas.ai/test=events' });
    const events = list.items as EventsV1Event[];
    expect(events).toHaveLength(2);
    const total = events.reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
    expect(total).toBe(201);

    const dispatched = events.find((e) => e.reason === 'EventDispatched')!;
    expect(dispatched).toMatchObject({
      reportingController: 'mcp.tas.ai/gateway',
      reportingInstance: 'gw-0',
      action: 'Dispatch',
      type: 'Normal',
      note: 'tool.called dispatched',
      regarding: { kind: 'ConfigMap', name: 'gw', namespace },
      metadata: { labels },
    });
    expect(dispatched.series?.count).toBe(200);
    const warning = events.find((e) => e.reason === 'ForwardFailed')!;
    expect(warning.series).toBeUndefined();
    expect(warning.type).toBe('Warning');
    // client-node hands MicroTime back as the raw string; the server kept six digits.
    expect(String(dispatched.eventTime)).toMatch(/\.\d{6}Z$/);
    expect(await recorder.close(1_000)).toBe(0);
  });
});
