import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderServer } from '../../../../operator/render/index.js';
import { tracingEnv } from '../../../../operator/render/tracing-env.js';
import type { McpServer, McpServerSpec } from '../../../../src/api/index.js';
import { tracingSettings } from '../../../../src/observability/tracing/settings.js';

const server = (spec: McpServerSpec = {}): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name: 'alpha', namespace: 'team-a', uid: 'uid-1', generation: 1 },
  spec,
});
const context = { defaultImage: 'tas-mcp/gateway:dev', peers: [], routes: [], bus: { type: 'memory' as const } };
const containerEnv = (spec: McpServerSpec) => {
  const deployment = renderServer(server(spec), context).objects.find((o) => o.kind === 'Deployment') as V1Deployment;
  return deployment.spec!.template.spec!.containers[0]!.env!;
};
const asRecord = (env: { name: string; value?: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

describe('spec.observability.tracing as OTEL_* variables', () => {
  it('renders nothing without it: tracing stays off', () => {
    expect(tracingEnv(server())).toEqual([]);
    expect(containerEnv({}).some((e) => e.name.startsWith('OTEL_'))).toBe(false);
    expect(containerEnv({ observability: {} }).some((e) => e.name.startsWith('OTEL_'))).toBe(false);
  });

  it('renders the endpoint, the sampler, the service name and the resource attributes', () => {
    const env = containerEnv({
      observability: {
        tracing: {
          endpoint: 'http://jaeger-collector.observability:4318',
          samplingRatio: 0.01,
          serviceName: 'alpha-gateway',
          resourceAttributes: { team: 'a', 'deployment.environment': 'prod, eu' },
        },
      },
    });
    expect(asRecord(env)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_SERVICE_NAME: 'alpha-gateway',
      OTEL_RESOURCE_ATTRIBUTES:
        'k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),mcp.server.name=alpha,deployment.environment=prod%2C%20eu,team=a',
    });
    // $(POD_NAME) expands only from variables defined before it.
    const names = env.map((e) => e.name);
    expect(names.indexOf('OTEL_RESOURCE_ATTRIBUTES')).toBeGreaterThan(names.indexOf('POD_NAME'));
    expect(names.indexOf('OTEL_RESOURCE_ATTRIBUTES')).toBeGreaterThan(names.indexOf('POD_NAMESPACE'));
  });

  it('renders only what is set, and what it renders the gateway accepts', () => {
    const env = tracingEnv(server({ observability: { tracing: { endpoint: 'https://otel.example:4318' } } }));
    expect(env.map((e) => e.name)).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_RESOURCE_ATTRIBUTES']);
    const full = tracingEnv(
      server({ observability: { tracing: { endpoint: 'http://c:4318', samplingRatio: 0, resourceAttributes: { 'a=b': 'c,d' } } } }),
    );
    expect(tracingSettings(asRecord(full) as NodeJS.ProcessEnv)).toEqual({ endpoint: 'http://c:4318' });
    expect(asRecord(full).OTEL_TRACES_SAMPLER_ARG).toBe('0');
  });
});
