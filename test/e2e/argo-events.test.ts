// config/argo and the gateway driven by Argo Events' own code (argo-check, test/cluster/argo): Argo's
// validation of every shipped file, its generic EventSource listener against a gateway, and its
// webhook EventSource as a CloudEvents route target through a restart, each event judged by Argo's
// Sensor filter code with the shipped Sensor. (The resource EventSource, which needs an API server,
// is in test/integration/gateway/argo-resource-eventsource.test.ts.)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort } from '../harness/ports.js';
import { argoCheckPath, sleep, startArgoListener, validateArgoFiles, type ArgoEvent, type ArgoListener } from './support/argo-check.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { deadLetters, eventually, metric, testEvent } from './support/traffic.js';

const ARGO = join(PROJECT_ROOT, 'config/argo');
const shipped = (file: string) => join(ARGO, file);
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-argo-code-'));
const gateways: GatewayProcess[] = [];
const listeners: ArgoListener[] = [];

beforeAll(() => {
  argoCheckPath(); // builds (or finds) argo-check first; a cold build takes minutes, a cached one a moment
}, 900_000);
afterAll(async () => {
  for (const l of listeners) await l.stop().catch(() => undefined);
  for (const g of gateways) await g.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(...args: Parameters<typeof startArgoListener>): Promise<ArgoListener> {
  const listener = await startArgoListener(...args);
  listeners.push(listener);
  return listener;
}

async function post(gateway: GatewayProcess, events: unknown[]): Promise<void> {
  const response = await fetch(`${gateway.httpUrl}/api/v1/events/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  const answer = (await response.json()) as { accepted?: number };
  expect(response.status, JSON.stringify(answer)).toBe(200);
  expect(answer.accepted).toBe(events.length); // every event taken, none refused
}

const countBy = <T>(items: T[], key: (item: T) => string) => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
};

describe('Argo validates config/argo', () => {
  it("decodes every object strictly and passes Argo's validation of each EventSource and the Sensor", () => {
    const { exitCode, lines, stderr } = validateArgoFiles(ARGO);
    expect(exitCode, stderr).toBe(0);
    const objects = lines.filter((l) => l.kind === 'object');
    expect(objects.filter((o) => o.error)).toEqual([]);
    expect(
      objects
        .filter((o) => o.checked === 'argo')
        .map((o) => `${o.objectKind}/${o.name}`)
        .sort(),
    ).toEqual(['EventSource/mcp-generic', 'EventSource/mcp-kubernetes-events', 'EventSource/mcp-webhook', 'Sensor/mcp-documents']);
    expect(lines.at(-1)).toMatchObject({ kind: 'summary', files: 6, errors: 0 });
  });

  it('refuses what Argo refuses: an empty generic config, a misspelt field, a filter operator it does not know', () => {
    const broken = join(dir, 'broken');
    cpSync(ARGO, broken, { recursive: true });
    const edit = (file: string, from: RegExp, to: string) => {
      const text = readFileSync(join(broken, file), 'utf8');
      expect(text).toMatch(from);
      writeFileSync(join(broken, file), text.replace(from, to));
    };
    edit('eventsource-generic.yaml', /config: \|-\n\s+eventTypes: \["document\.\*"\]/, "config: ''");
    edit('eventsource-resource.yaml', /afterStart: true/, 'afterstart: true');
    edit('sensor.yaml', /- name: generic-document-uploaded\n/, '- name: generic-document-uploaded\n      filtersLogicalOperator: xor\n');
    const { exitCode, lines } = validateArgoFiles(broken);
    expect(exitCode).toBe(1);
    const errors = Object.fromEntries(lines.filter((l) => l.error).map((l) => [l.file, l.error]));
    expect(errors['eventsource-generic.yaml']).toBe("alpha-documents: config can't be empty");
    expect(errors['eventsource-resource.yaml']).toContain('unknown field "spec.resource.alpha-dispatched.filter.afterstart"');
    expect(errors['sensor.yaml']).toContain('logical operator xor not supported');
  });
});

describe("Argo's generic EventSource against a gateway", () => {
  it('gets every matching event once, as the JSON the Sensor filters read; the Sensor passes exactly document.uploaded', async () => {
    const gateway = await startGateway({ env: { BUFFER_SIZE: '10000', MAX_BATCH_SIZE: '500' } });
    gateways.push(gateway);
    // The same EventSource judged by the shipped Sensor and by one with the old unanchored filter.
    const unanchored = join(dir, 'sensor-unanchored.yaml');
    writeFileSync(
      unanchored,
      readFileSync(shipped('sensor.yaml'), 'utf8').replace("value: ['^document\\.uploaded$']", 'value: ["document.uploaded"]'),
    );
    expect(readFileSync(unanchored, 'utf8')).toContain('value: ["document.uploaded"]');
    const argo = await listen('generic', {
      eventSource: shipped('eventsource-generic.yaml'),
      event: 'alpha-documents',
      sensor: shipped('sensor.yaml'),
      url: gateway.grpcAddress,
    });
    const old = await listen('generic', {
      eventSource: shipped('eventsource-generic.yaml'),
      event: 'alpha-documents',
      sensor: unanchored,
      url: gateway.grpcAddress,
    });
    // Argo's listener dials after its first 5 s tick.
    await eventually(
      async () => (await metric(gateway, 'tas_mcp_subscribers', { kind: 'argo_generic' })) === 2,
      30_000,
      'both generic EventSources connected',
    );

    const types = ['document.uploaded', 'document.uploaded.v2', 'document.uploaded_failed', 'document.deleted', 'user.created'];
    const sent = types.flatMap((type) =>
      Array.from({ length: 100 }, (_, i) => testEvent(`${type}-${i}`, type, { source: 'aether-be', metadata: { tenant_id: 't1' } })),
    );
    for (let i = 0; i < sent.length; i += 250) await post(gateway, sent.slice(i, i + 250));
    await eventually(() => argo.events.length >= 400 && old.events.length >= 400, 20_000, 'the document.* events at both EventSources');
    await sleep(500); // anything extra would show now

    const id = (e: ArgoEvent) => e.data.body.event_id as string;
    for (const listener of [argo, old]) {
      expect(listener.events).toHaveLength(400); // document.*, narrowed by the EventSource's config
      expect([...countBy(listener.events, id).values()].every((n) => n === 1)).toBe(true);
    }
    expect(new Set(argo.events.map((e) => e.data.body.event_type))).toEqual(new Set(types.filter((t) => t.startsWith('document.'))));
    const sample = argo.events.find((e) => id(e) === 'document.uploaded-7')!;
    expect(sample).toMatchObject({ eventSource: 'mcp-generic', event: 'alpha-documents' });
    expect(sample.data).toEqual({
      body: {
        event_id: 'document.uploaded-7',
        event_type: 'document.uploaded',
        source: 'aether-be',
        timestamp: expect.any(Number),
        data: { id: 'document.uploaded-7' },
        metadata: { tenant_id: 't1' },
        position: expect.any(Number), // where the event sits in the gateway's log
      },
    });
    const passed = (l: ArgoListener) =>
      l.events
        .filter((e) => e.dependencies['generic-document-uploaded'])
        .map(id)
        .sort();
    expect(passed(argo)).toEqual(
      sent
        .filter((e) => e.event_type === 'document.uploaded')
        .map((e) => e.event_id)
        .sort(),
    );
    expect(argo.events.every((e) => !e.filterErrors)).toBe(true);
    // What the shipped Sensor did before its filters were anchored: v2 and _failed fired too.
    expect(passed(old)).toHaveLength(300);
  });
});

describe("Argo's webhook EventSource as a CloudEvents route target", () => {
  it('gets every event once through a restart of the EventSource with the shipped retry rules; without 400 in them, the restart dead-letters', async () => {
    const route = parse(readFileSync(shipped('mcproute-to-webhook.yaml'), 'utf8')) as { spec: Record<string, any> };
    expect(route.spec.delivery.retry.retryOn).toContain(400);
    const ports = { shipped: await freePort(), defaults: await freePort() };
    const { retryOn: _dropped, ...defaultRetry } = route.spec.delivery.retry;
    const routes = [
      {
        name: 'shipped',
        match: route.spec.match,
        targets: [{ url: `http://127.0.0.1:${ports.shipped}/mcp`, id: 'argo-shipped', format: 'cloudevents' }],
        delivery: route.spec.delivery,
      },
      {
        name: 'default-rules',
        match: route.spec.match,
        targets: [{ url: `http://127.0.0.1:${ports.defaults}/mcp`, id: 'argo-defaults', format: 'cloudevents' }],
        delivery: { ...route.spec.delivery, retry: defaultRetry },
      },
    ];
    const file = join(dir, 'webhook-gateway.yaml');
    writeFileSync(file, stringify({ routes }));
    const gateway = await startGateway({ args: ['--config', file], env: { BUFFER_SIZE: '10000' } });
    gateways.push(gateway);

    const webhook = (port: number) =>
      listen('webhook', {
        eventSource: shipped('eventsource-webhook.yaml'),
        event: 'alpha-cloudevents',
        sensor: shipped('sensor.yaml'),
        port,
        drain: '1s',
      });
    const up = (port: number) =>
      eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, 10_000, `webhook on ${port}`);
    const first = { shipped: await webhook(ports.shipped), defaults: await webhook(ports.defaults) };
    await up(ports.shipped);
    await up(ports.defaults);

    // 5 events every 20 ms for 4 s; both EventSources restart a second in.
    const types = ['document.uploaded', 'document.deleted', 'document.uploaded.v2', 'user.created'];
    const sent: ReturnType<typeof testEvent>[] = [];
    const producing = (async () => {
      for (let tick = 0; tick < 200; tick++) {
        const batch = Array.from({ length: 5 }, (_, i) => testEvent(`w-${tick}-${i}`, types[(tick * 5 + i) % types.length]));
        await post(gateway, batch);
        sent.push(...batch);
        await sleep(20);
      }
    })();
    await sleep(1000);
    // As when Kubernetes replaces the EventSource's pod: the old one stops (its route inactive,
    // answering 400) and exits, a new one starts on the same port.
    await Promise.all([first.shipped.stop(), first.defaults.stop()]);
    const second = { shipped: await webhook(ports.shipped), defaults: await webhook(ports.defaults) };
    await producing;

    const routed = sent.filter((e) => e.event_type.startsWith('document.'));
    const ceId = (e: ArgoEvent) => e.data.header['Ce-Id'][0] as string;
    const atShipped = () => [...first.shipped.events, ...second.shipped.events];
    await eventually(() => new Set(atShipped().map(ceId)).size === routed.length, 60_000, "every routed event at the shipped route's EventSource");
    await eventually(async () => (await metric(gateway, 'tas_mcp_forward_in_flight')) === 0, 60_000, 'nothing in flight');
    await sleep(300);

    // The shipped rules: every event exactly once, nothing dead-lettered, the Sensor passing exactly document.uploaded.
    const shippedEvents = atShipped();
    expect(shippedEvents.length).toBe(routed.length);
    expect(first.shipped.events.length).toBeGreaterThan(0);
    expect(second.shipped.events.length).toBeGreaterThan(0);
    const letters = await deadLetters(gateway);
    expect(letters.filter((l) => l.target === 'argo-shipped')).toEqual([]);
    const sample = shippedEvents.find((e) => e.data.header['Ce-Type'][0] === 'document.uploaded')!;
    expect(sample.data.header).toMatchObject({ 'Ce-Specversion': ['1.0'], 'Ce-Source': ['e2e'], 'Content-Type': ['application/json'] });
    expect(sample.data.body).toEqual({ id: ceId(sample) });
    expect(
      shippedEvents
        .filter((e) => e.dependencies['webhook-document-uploaded'])
        .map(ceId)
        .sort(),
    ).toEqual(
      routed
        .filter((e) => e.event_type === 'document.uploaded')
        .map((e) => e.event_id)
        .sort(),
    );

    // Default rules: the restart's 400s ("endpoint is inactive") dead-letter at once; the rest arrive, none lost.
    const toDefaults = letters.filter((l) => l.target === 'argo-defaults');
    expect(toDefaults.length).toBeGreaterThan(0);
    expect(toDefaults.every((l) => l.reason === 'rejected' && l.lastStatus === '400' && l.attempts === 1)).toBe(true);
    const atDefaults = new Set([...first.defaults.events, ...second.defaults.events].map(ceId));
    for (const letter of toDefaults) atDefaults.add(letter.event.event_id);
    expect(atDefaults.size).toBe(routed.length);
    console.log(
      `argo webhook restart: ${routed.length} routed events; shipped retry rules: ${shippedEvents.length} delivered once each, 0 dead letters; ` +
        `default rules: ${toDefaults.length} dead-lettered with 400`,
    );
  });
});
