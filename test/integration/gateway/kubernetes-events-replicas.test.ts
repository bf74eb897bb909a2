// Kubernetes Events from replicas on the shared log: every dispatched event is written once across
// the replicas (one shared consumer writes them, whichever replica holds each event), not once
// per replica. Real API server, real nats-server, two real gateway processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, waitUntil } from '../../harness/index.js';
import { startNats, type NatsServers } from '../../harness/nats.js';
import { CRD_DIR } from '../../../src/paths.js';
import { startGateway, type GatewayProcess } from '../../e2e/support/gateway-process.js';
import { metric, produce } from '../../e2e/support/traffic.js';
import { kube } from '../operator/support.js';

const kubeconfig = inject('kubeconfig');
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-kevents-replicas-'));
let nats: NatsServers;
let namespace: string;
const replicas: GatewayProcess[] = [];

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  namespace = await createNamespace(kubeconfig, 'kevents-replicas');
  const k = kube(kubeconfig);
  await k.apply({ kind: 'McpServer', metadata: { name: 'shared', namespace }, spec: {} });
  const uid = (await k.getCustom('McpServer', namespace, 'shared'))!.metadata.uid;
  nats = await startNats();
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, stringify({ kubernetesEvents: { enabled: true, qps: 50, burst: 50, regarding: { name: 'shared', namespace, uid } } }));
  for (const pod of ['shared-6c9f-aaaaa', 'shared-6c9f-bbbbb']) {
    replicas.push(
      await startGateway({
        args: ['--config', file],
        env: { KUBECONFIG: kubeconfig, POD_NAME: pod, BUS: 'jetstream', NATS_URL: nats.urls.join(','), GATEWAY_ID: `${namespace}/shared` },
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Kubernetes Events from two replicas on one stream', () => {
  it('are written once per dispatched event, not once per replica', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `once-${i}`);
    await Promise.all([produce(replicas[0]!, ids.slice(0, 500), { batch: 50 }), produce(replicas[1]!, ids.slice(500), { batch: 50 })]);
    const written = async () =>
      (await metric(replicas[0]!, 'tas_mcp_kubernetes_events_total', { outcome: 'written' })) +
      (await metric(replicas[1]!, 'tas_mcp_kubernetes_events_total', { outcome: 'written' }));
    await waitUntil('every occurrence written', async () => (await written()) >= ids.length, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a second write per event would show by now
    expect(await written()).toBe(ids.length);
    const { items } = await kube(kubeconfig).clients.events.listNamespacedEvent({ namespace, labelSelector: 'mcp.tas.ai/server=shared' });
    const occurrences = items.reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
    expect(occurrences).toBe(ids.length);
    // Both replicas took a share of the writing (the consumer is shared, not owned by one).
    const instances = new Set(items.map((e) => e.reportingInstance));
    console.log(`kubernetes events from replicas: ${occurrences} occurrences in ${items.length} Events from ${[...instances].join(', ')}`);
  }, 120_000);
});
