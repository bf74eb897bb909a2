// The federation map's Events list against a real kube-apiserver: the API server selects the
// Events regarding one McpServer (not another server, not a route of the same name), newest
// first, with the series counts the recorder folded in; the operator's ServiceAccount RBAC for
// it is checked in deploy.test.ts.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, waitUntil } from '../../harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { EventRecorder, createEventsApiWriter } from '../../../src/kube/event-recorder.js';
import { createServerEventsReader } from '../../../operator/federation-map/server-events.js';

const kubeconfig = inject('kubeconfig');

describe("the federation map's server Events (real API server)", () => {
  const clients = createKubeClients(loadKubeConfig({ path: kubeconfig }));
  let namespace: string;
  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'map-events');
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  it('lists the Events about one McpServer, newest first, with their counts, up to the limit', async () => {
    const recorder = new EventRecorder({
      writer: createEventsApiWriter(clients.events),
      reportingController: 'mcp.tas.ai/gateway',
      reportingInstance: 'gw-0',
      qps: 50,
      burst: 50,
    });
    const about = (kind: string, name: string) => ({
      apiVersion: 'mcp.tas.ai/v1alpha1',
      kind,
      namespace,
      name,
      uid: `00000000-0000-0000-0000-00000000000${name.length}`,
    });
    for (let i = 0; i < 5; i++)
      recorder.record({
        regarding: about('McpServer', 'alpha'),
        type: 'Normal',
        reason: 'EventDispatched',
        action: 'Dispatch',
        note: 'document.uploaded dispatched',
      });
    await waitUntil('the first Event written', async () => recorder.stats().pending + recorder.stats().inFlight === 0, 30_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a later second for the next one
    recorder.record({
      regarding: about('McpServer', 'alpha'),
      type: 'Warning',
      reason: 'PeerUnreachable',
      action: 'Forward',
      note: 'team-b/beta unreachable',
    });
    recorder.record({ regarding: about('McpServer', 'other'), type: 'Normal', reason: 'NotMine', action: 'Dispatch', note: 'about another server' });
    recorder.record({
      regarding: about('McpRoute', 'alpha'),
      type: 'Normal',
      reason: 'NotMineEither',
      action: 'Dispatch',
      note: 'about a route named alpha',
    });
    await waitUntil('recorder flushed', async () => recorder.stats().pending + recorder.stats().inFlight === 0, 30_000, 50);
    await recorder.close(1000);

    const read = createServerEventsReader(clients.objects, { limit: 10, timeoutMs: 5000 });
    const events = await read(namespace, 'alpha');
    expect(events.map((e) => e.reason)).toEqual(['PeerUnreachable', 'EventDispatched']);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      note: 'team-b/beta unreachable',
      count: 1,
      reportingController: 'mcp.tas.ai/gateway',
      action: 'Forward',
    });
    expect(events[1]!.count).toBe(5);
    expect(Date.parse(events[0]!.lastSeen)).toBeGreaterThan(Date.parse(events[1]!.lastSeen));
    expect((await createServerEventsReader(clients.objects, { limit: 1, timeoutMs: 5000 })(namespace, 'alpha')).map((e) => e.reason)).toEqual([
      'PeerUnreachable',
    ]);
    expect(await read(namespace, 'nobody')).toEqual([]);
  });

  it('gives up when asked to stop, instead of waiting for the API server', async () => {
    const read = createServerEventsReader(clients.objects, { limit: 10, timeoutMs: 5000 });
    await expect(read(namespace, 'alpha', AbortSignal.abort())).rejects.toThrow();
  });
});
