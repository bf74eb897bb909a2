// The gateway's Kubernetes Events against a real API server, watched the way Argo's `resource`
// EventSource watches them (a label selector), and under load: at 5,000 dispatched events/s for
// 10 s with a budget of 10 writes/s, the API server sees at most the budget (plus burst) while
// the series counts add up to every event dispatched.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch, type EventsV1Event } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, waitUntil } from '../../harness/index.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { CRD_DIR } from '../../../src/paths.js';
import { startGateway, type GatewayProcess } from '../../e2e/support/gateway-process.js';
import { metric, testEvent } from '../../e2e/support/traffic.js';
import { kube } from '../operator/support.js';

const kubeconfig = inject('kubeconfig');
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-kevents-'));
let gateway: GatewayProcess;
let namespace: string;
let uid: string;
const seen: { type: string; event: EventsV1Event }[] = [];
let abortWatch: AbortController | undefined;

const QPS = 10;
const BURST = 10;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  namespace = await createNamespace(kubeconfig, 'kevents');
  const k = kube(kubeconfig);
  await k.apply({ kind: 'McpServer', metadata: { name: 'events-gw', namespace }, spec: {} });
  uid = (await k.getCustom('McpServer', namespace, 'events-gw'))!.metadata.uid;

  // Argo's resource EventSource: a watch on events.k8s.io Events, selected on the server side.
  const watch = new Watch(loadKubeConfig({ path: kubeconfig }));
  abortWatch = await watch.watch(
    `/apis/events.k8s.io/v1/namespaces/${namespace}/events`,
    { labelSelector: 'mcp.tas.ai/server=events-gw' },
    (type: string, event: EventsV1Event) => seen.push({ type, event }),
    () => {},
  );

  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, stringify({ kubernetesEvents: { enabled: true, qps: QPS, burst: BURST, regarding: { name: 'events-gw', namespace, uid } } }));
  gateway = await startGateway({
    args: ['--config', file],
    env: { KUBECONFIG: kubeconfig, POD_NAME: 'events-gw-7d9f-abcde', BUFFER_SIZE: '20000', MAX_BATCH_SIZE: '500', HISTORY_SIZE: '0' },
  });
});
afterAll(async () => {
  abortWatch?.abort();
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(events: unknown[]) {
  const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe('Kubernetes Events from the gateway', () => {
  it('are written about its McpServer with the fields and labels Argo selects on', async () => {
    await post([testEvent('first-1', 'document.uploaded', { source: 'aether-be' })]);
    const added = await waitUntil('an Event', async () => seen.find((s) => s.type === 'ADDED')?.event, 20_000);
    expect(added).toMatchObject({
      reason: 'EventDispatched',
      action: 'Dispatch',
      type: 'Normal',
      reportingController: 'mcp.tas.ai/gateway',
      reportingInstance: 'events-gw-7d9f-abcde',
      regarding: { apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpServer', name: 'events-gw', namespace, uid },
    });
    expect(added.note).toContain('first-1');
    expect(added.metadata?.labels).toMatchObject({
      'mcp.tas.ai/server': 'events-gw',
      'mcp.tas.ai/event-type': 'document.uploaded',
      'mcp.tas.ai/source': 'aether-be',
    });
    expect(String(added.eventTime)).toMatch(/\.\d{6}Z$/);
  });

  it('at 5,000 events/s for 10 s: at most the budget of writes, and exact counts', async () => {
    const writesBefore = seen.length;
    const started = Date.now();
    let sent = 0;
    for (let tick = 0; tick < 100; tick++) {
      const batch = Array.from({ length: 500 }, (_, i) => testEvent(`load-${tick}-${i}`, i % 2 ? 'document.uploaded' : 'user.created'));
      await post(batch);
      sent += batch.length;
      const wait = started + (tick + 1) * 100 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const rate = sent / ((Date.now() - started) / 1000);
    await waitUntil(
      'every occurrence written',
      async () => (await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'written' })) === sent + 1,
      60_000,
    );
    const elapsedS = (Date.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the watch deliver the last writes

    const writes = seen.length - writesBefore;
    const allowed = Math.ceil(QPS * elapsedS) + BURST;
    console.log(
      `kubernetes events: ${sent} dispatched at ${rate.toFixed(0)}/s; ${writes} API writes in ${elapsedS.toFixed(1)} s (budget ${allowed})`,
    );
    expect(rate).toBeGreaterThan(4000);
    expect(writes).toBeLessThanOrEqual(allowed);

    const { items } = await kube(kubeconfig).clients.events.listNamespacedEvent({ namespace, labelSelector: 'mcp.tas.ai/server=events-gw' });
    const occurrences = items.reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
    expect(occurrences).toBe(sent + 1); // the single event of the first test, and every one of these
    expect(await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'dropped' })).toBe(0);
  }, 120_000);
});
