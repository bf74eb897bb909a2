// Argo's own `resource` EventSource listener (argo-check, test/cluster/argo) with the shipped
// config/argo/eventsource-resource.yaml and sensor.yaml, watching the Kubernetes Events a real
// gateway writes to a real API server while some of its events are dead-lettered: the dispatch
// dependency fires only on dispatches, once per API write (not per MCP event: the Events are
// budgeted), never on dead letters, and not again for the Events it finds after a restart.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventsV1Event } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { labelValue } from '../../../gateway/sinks/label-value.js';
import { PROJECT_ROOT } from '../../../src/paths.js';
import { createNamespace, deleteNamespace, freePort } from '../../harness/index.js';
import { argoCheckPath, sleep, startArgoListener, type ArgoEvent, type ArgoListener } from '../../e2e/support/argo-check.js';
import { startGateway, type GatewayProcess } from '../../e2e/support/gateway-process.js';
import { eventually, metric, testEvent } from '../../e2e/support/traffic.js';
import { kube } from '../operator/support.js';

const kubeconfig = inject('kubeconfig');
const shipped = (file: string) => join(PROJECT_ROOT, 'config/argo', file);
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-argo-resource-'));
const listeners: ArgoListener[] = [];
let gateway: GatewayProcess;
let namespace: string;

beforeAll(async () => {
  argoCheckPath(); // builds (or finds) argo-check first
  namespace = await createNamespace(kubeconfig, 'argo-res');
  // Dead letters on purpose: document events also go to a route whose target refuses connections.
  const nowhere = `http://127.0.0.1:${await freePort()}/hook`;
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    stringify({
      kubernetesEvents: { enabled: true, qps: 5, burst: 5, regarding: { name: 'alpha', namespace } },
      forwarding: { circuitBreaker: { cooldown: '100ms' } },
      routes: [{ name: 'documents-to-nowhere', match: { eventTypes: ['document.*'] }, targets: [nowhere], delivery: { retry: { maxAttempts: 1 } } }],
    }),
  );
  gateway = await startGateway({ args: ['--config', file], env: { KUBECONFIG: kubeconfig, POD_NAME: 'alpha-7d9f-abcde', BUFFER_SIZE: '10000' } });
}, 900_000);
afterAll(async () => {
  for (const l of listeners) await l.stop().catch(() => undefined);
  await gateway?.stop();
  if (namespace) await deleteNamespace(kubeconfig, namespace);
  rmSync(dir, { recursive: true, force: true });
});

async function watch(event: 'alpha-dispatched' | 'alpha-failures', eventSource = shipped('eventsource-resource.yaml')): Promise<ArgoListener> {
  const listener = await startArgoListener('resource', {
    eventSource,
    event,
    ...(event === 'alpha-dispatched' ? { sensor: shipped('sensor.yaml') } : {}),
    namespace,
    env: { KUBECONFIG: kubeconfig },
  });
  listeners.push(listener);
  // filter.afterStart compares timestamps of whole seconds: let the EventSource's own second pass.
  await sleep(1500);
  return listener;
}

async function post(events: unknown[]): Promise<void> {
  const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  const answer = (await response.json()) as { accepted?: number };
  expect(response.status, JSON.stringify(answer)).toBe(200);
  expect(answer.accepted).toBe(events.length); // every event taken, none refused
}

/** Every occurrence recorded is on the API server (or counted lost), and every event is delivered or dead-lettered. */
async function settled(): Promise<void> {
  await eventually(
    async () => {
      const recorded = await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'recorded' });
      const written = await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'written' });
      return recorded > 0 && written === recorded && (await metric(gateway, 'tas_mcp_forward_in_flight')) === 0;
    },
    60_000,
    'every Kubernetes Event written',
  );
  await sleep(1500); // the watches deliver the last writes
}

const body = (e: ArgoEvent) =>
  e.data.body as EventsV1Event & { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> } };
const count = (e: EventsV1Event) => e.series?.count ?? 1;

async function listEvents(labelSelector: string): Promise<EventsV1Event[]> {
  return (await kube(kubeconfig).clients.events.listNamespacedEvent({ namespace, labelSelector })).items;
}

describe("Argo's resource EventSource with the shipped YAML", () => {
  const sentTypes = new Map<string, number>();
  let dispatched: ArgoListener;
  let failures: ArgoListener;

  it('fires the dispatch dependency only on dispatches, once per API write, and never on dead letters', async () => {
    dispatched = await watch('alpha-dispatched');
    failures = await watch('alpha-failures');
    const types = ['document.uploaded', 'document.uploaded.v2', 'user.created', 'urn:doc/uploaded'];
    for (let round = 0; round < 3; round++) {
      const batch = types.flatMap((type, t) => Array.from({ length: 30 - t * 5 }, (_, i) => testEvent(`r${round}-${t}-${i}`, type)));
      for (const e of batch) sentTypes.set(e.event_type, (sentTypes.get(e.event_type) ?? 0) + 1);
      await post(batch);
      await sleep(1000);
    }
    await settled();

    // Only dispatches reach the dispatch event, ADDs and UPDATEs of their budgeted Events.
    expect(dispatched.events.length).toBeGreaterThan(0);
    expect(dispatched.events.filter((e) => body(e).reason !== 'EventDispatched')).toEqual([]);
    expect(new Set(dispatched.events.map((e) => e.data.type))).toEqual(new Set(['ADD', 'UPDATE']));
    // Dead letters did happen, with the same event-type label: the failures event has them.
    const deadLettered = failures.events.filter((e) => body(e).reason === 'EventDeadLettered');
    expect(deadLettered.some((e) => body(e).metadata.labels['mcp.tas.ai/event-type'] === 'document.uploaded')).toBe(true);
    expect(failures.events.every((e) => ['EventDeadLettered', 'PeerUnreachable'].includes(body(e).reason!))).toBe(true);

    // Once per API write: the two events together saw every create and every series update.
    const writes =
      (await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'creates' })) +
      (await metric(gateway, 'tas_mcp_kubernetes_events_total', { outcome: 'series_updates' }));
    expect(dispatched.events.length + failures.events.length).toBe(writes);
    // ... which is fewer than the events dispatched, whose counts the series carry exactly.
    const onServer = await listEvents(`mcp.tas.ai/server=alpha,mcp.tas.ai/reason=EventDispatched`);
    const total = [...sentTypes.values()].reduce((a, b) => a + b, 0);
    expect(onServer.reduce((sum, e) => sum + count(e), 0)).toBe(total);
    expect(dispatched.events.length).toBeLessThan(total);
    for (const event of onServer) {
      const fired = dispatched.events.filter((e) => body(e).metadata.name === event.metadata!.name);
      expect(count(body(fired.at(-1)!)), event.metadata!.name).toBe(count(event)); // the last firing carries the final count
    }

    // The Sensor's dependency passes exactly the firings about document.uploaded.
    const passing = dispatched.events.filter((e) => e.dependencies['kubernetes-document-uploaded']);
    expect(passing.length).toBeGreaterThan(0);
    expect(passing.every((e) => body(e).metadata.annotations['mcp.tas.ai/event-type'] === 'document.uploaded')).toBe(true);
    expect(dispatched.events.filter((e) => body(e).metadata.annotations['mcp.tas.ai/event-type'] === 'document.uploaded')).toEqual(passing);
    console.log(
      `argo resource EventSource: ${total} events dispatched, ${dispatched.events.length} dispatch firings (${passing.length} passing the Sensor), ` +
        `${failures.events.length} failure firings, ${writes} API writes`,
    );
  });

  it('labels a rewritten type by the documented mapping (selectable), with the exact type in the annotation', async () => {
    const mapped = labelValue('urn:doc/uploaded');
    expect(mapped).toMatch(/^urn_doc_uploaded-[0-9a-f]{10}$/);
    const selected = await listEvents(`mcp.tas.ai/reason=EventDispatched,mcp.tas.ai/event-type=${mapped}`);
    expect(selected).toHaveLength(1);
    expect(selected[0]!.metadata!.annotations).toMatchObject({ 'mcp.tas.ai/event-type': 'urn:doc/uploaded', 'mcp.tas.ai/source': 'e2e' });
    expect(count(selected[0]!)).toBe(sentTypes.get('urn:doc/uploaded'));
  });

  it('does not fire again for the Events it finds after a restart (filter.afterStart), and still fires on new writes', async () => {
    const retained = await listEvents('mcp.tas.ai/server=alpha,mcp.tas.ai/reason=EventDispatched');
    expect(retained.length).toBeGreaterThan(0);
    await dispatched.stop();
    // The same EventSource without afterStart, to show what the filter prevents.
    const withoutAfterStart = join(dir, 'eventsource-resource-without-after-start.yaml');
    const yaml = readFileSync(shipped('eventsource-resource.yaml'), 'utf8');
    expect(yaml).toMatch(/\n\s+afterStart: true\n/);
    writeFileSync(withoutAfterStart, yaml.replace(/\n\s+afterStart: true\n/g, '\n'));
    const [restarted, naive] = await Promise.all([watch('alpha-dispatched'), watch('alpha-dispatched', withoutAfterStart)]);
    await sleep(2000);
    expect(restarted.events).toEqual([]);
    expect(naive.events.map((e) => e.data.type)).toEqual(retained.map(() => 'ADD'));

    await post(Array.from({ length: 10 }, (_, i) => testEvent(`after-restart-${i}`, 'document.uploaded')));
    await settled();
    const fresh = restarted.events.filter((e) => e.dependencies['kubernetes-document-uploaded']);
    expect(fresh.length).toBeGreaterThan(0);
    const uploaded = retained.find((e) => e.metadata!.annotations!['mcp.tas.ai/event-type'] === 'document.uploaded')!;
    // A series made before the restart grew: an UPDATE of that Event, carrying the new count.
    expect(fresh.at(-1)!.data.type).toBe('UPDATE');
    expect(body(fresh.at(-1)!).metadata.name).toBe(uploaded.metadata!.name);
    expect(count(body(fresh.at(-1)!))).toBe(count(uploaded) + 10);
  });
});
