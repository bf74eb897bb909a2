// config/argo holds together: each EventSource points at what the samples and the gateway
// really serve, and the Sensor names EventSources and events that exist.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseGenericConfig } from '../../../gateway/ingress/grpc/argo-generic-service.js';
import { LABELS, REASONS } from '../../../gateway/sinks/kubernetes-events.js';
import { parseConfig } from '../../../src/config/index.js';
import { PROJECT_ROOT } from '../../../src/paths.js';

const load = (file: string) =>
  parseAllDocuments(readFileSync(join(PROJECT_ROOT, 'config', file), 'utf8')).map((d) => d.toJS() as Record<string, any>);
const eventSources = ['argo/eventsource-resource.yaml', 'argo/eventsource-generic.yaml', 'argo/eventsource-webhook.yaml']
  .flatMap(load)
  .filter((o) => o.kind === 'EventSource');
const samples = load('samples/mcp-servers.yaml');
const alpha = samples.find((o) => o.metadata.name === 'alpha')!;

describe('config/argo', () => {
  it("the generic EventSource dials alpha's gRPC Service with a config the gateway reads", () => {
    const generic = eventSources.find((e) => e.spec.generic)!.spec.generic['alpha-documents'];
    expect(generic.url).toBe(`alpha.${alpha.metadata.namespace}.svc.cluster.local:${alpha.spec.ports?.grpc ?? 50051}`);
    expect(parseGenericConfig(Buffer.from(generic.config))).toEqual({ eventTypes: ['document.*'] });
    expect(generic.jsonBody).toBe(true);
  });

  it('the resource EventSource selects dispatches (or failures) by the labels the gateway puts on its Events, after its start', () => {
    const resource = eventSources.find((e) => e.spec.resource)!.spec.resource;
    for (const name of ['alpha-dispatched', 'alpha-failures']) {
      expect(resource[name]).toMatchObject({ group: 'events.k8s.io', version: 'v1', resource: 'events', namespace: alpha.metadata.namespace });
      expect(resource[name].filter.afterStart, name).toBe(true);
    }
    expect(resource['alpha-dispatched'].filter.labels).toEqual([
      { key: LABELS.server, operation: '==', value: 'alpha' },
      { key: LABELS.reason, operation: '==', value: REASONS.dispatched },
    ]);
    expect(resource['alpha-failures'].filter.labels).toEqual([
      { key: LABELS.server, operation: '==', value: 'alpha' },
      { key: LABELS.reason, operation: 'in', value: `${REASONS.deadLettered},${REASONS.peerUnreachable}` },
    ]);
  });

  it("the Sensor's string filters are anchored regular expressions (Argo matches them anywhere in the value)", () => {
    const sensor = load('argo/sensor.yaml')[0]!;
    const values = sensor.spec.dependencies.flatMap((d: any) =>
      d.filters.data.filter((f: any) => f.type === 'string').flatMap((f: any) => f.value as string[]),
    );
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).toMatch(/^\^.*\$$/);
  });

  it('the webhook route retries the 400 Argo answers while its EventSource restarts', () => {
    const route = load('argo/mcproute-to-webhook.yaml')[0]!;
    const config = parseConfig({ routes: [{ name: 'argo', targets: route.spec.targets, delivery: route.spec.delivery }] });
    expect(config.routes[0]!.delivery.retry!.retryOn).toEqual(expect.arrayContaining([400, '5xx', 404, 408, 409, 429]));
  });

  it("the McpRoute posts CloudEvents to the webhook EventSource's Service, port and endpoint", () => {
    const webhook = eventSources.find((e) => e.spec.webhook)!;
    const hook = webhook.spec.webhook['alpha-cloudevents'];
    const route = load('argo/mcproute-to-webhook.yaml')[0]!;
    const target = new URL(route.spec.targets[0].url);
    expect(route.spec.targets[0].format).toBe('cloudevents');
    expect(target.hostname).toBe(`${webhook.metadata.name}-eventsource-svc.${webhook.metadata.namespace}.svc.cluster.local`);
    expect(target.port).toBe(hook.port);
    expect(target.pathname).toBe(hook.endpoint);
    expect(route.spec.serverRef.name).toBe('alpha');
  });

  it('the Sensor depends on EventSources and events that exist', () => {
    const sensor = load('argo/sensor.yaml')[0]!;
    for (const dependency of sensor.spec.dependencies) {
      const source = eventSources.find((e) => e.metadata.name === dependency.eventSourceName);
      expect(source, dependency.name).toBeDefined();
      const kinds = ['resource', 'generic', 'webhook'].filter((k) => source!.spec[k]);
      expect(Object.keys(source!.spec[kinds[0]!]), dependency.name).toContain(dependency.eventName);
    }
  });
});
