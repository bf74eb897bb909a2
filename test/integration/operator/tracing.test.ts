// The operator's tracing with real parts: the operator process (dist/operator/main.js) against a
// real API server, exporting to a real Jaeger (test/harness/jaeger.ts): a span per reconcile,
// found through Jaeger's query API; and spec.observability.tracing, accepted by the API server's
// validation of the CRD, rendered into the gateway Deployment's OTEL_* variables.
import type { V1Deployment } from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CRD_DIR, PROJECT_ROOT } from '../../../src/paths.js';
import { createNamespace, deleteNamespace, installCrds, startJaeger, tagOf, waitUntil, type Jaeger } from '../../harness/index.js';
import { kube } from './support.js';

const kubeconfig = inject('kubeconfig');

describe('operator tracing (real API server, real Jaeger)', () => {
  const k = kube(kubeconfig);
  let jaeger: Jaeger;
  let namespace: string;
  let operator: ChildProcess;
  let output = '';

  beforeAll(async () => {
    await installCrds(kubeconfig, CRD_DIR);
    jaeger = await startJaeger();
    namespace = await createNamespace(kubeconfig, 'tracing');
    operator = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/operator/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        KUBECONFIG: kubeconfig,
        LEADER_ELECT: 'false',
        HEALTH_PORT: '0',
        BIND_HOST: '127.0.0.1',
        WATCH_NAMESPACES: namespace,
        LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
        OTEL_SERVICE_NAME: 'operator-it',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    operator.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    operator.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }, 120_000);

  afterAll(async () => {
    if (operator && operator.exitCode === null) {
      const exited = new Promise((resolve) => operator.once('exit', resolve));
      operator.kill('SIGTERM');
      await exited;
    }
    if (namespace) await deleteNamespace(kubeconfig, namespace);
    await jaeger?.stop();
  });

  it('renders spec.observability.tracing into the gateway and traces each reconcile', async () => {
    await k.apply({
      kind: 'McpServer',
      metadata: { name: 'traced', namespace },
      spec: {
        observability: { tracing: { endpoint: 'http://otel-collector.observability:4318', samplingRatio: 0.25, resourceAttributes: { team: 'a' } } },
      },
    });
    const deployment = await waitUntil(
      'the gateway Deployment',
      () => k.read<V1Deployment>('apps/v1', 'Deployment', namespace, 'traced'),
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; operator output: ${output.slice(-2000)}`);
    });
    const env = Object.fromEntries(deployment.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(env.OTEL_RESOURCE_ATTRIBUTES).toContain('team=a');

    // Each reconcile is a trace of its own: find the McpServer's among the operator's.
    const reconcileOf = async () =>
      (await jaeger.search('operator-it'))
        .flatMap((trace) => trace.spans)
        .find(
          (span) =>
            span.operationName === 'mcp.reconcile' && tagOf(span, 'k8s.object.name') === 'traced' && tagOf(span, 'k8s.object.kind') === 'McpServer',
        );
    const span = await waitUntil('a reconcile span in Jaeger', reconcileOf, 30_000);
    expect(tagOf(span, 'k8s.namespace.name')).toBe(namespace);
    expect(['success', 'requeue_after']).toContain(tagOf(span, 'mcp.reconcile.outcome'));
  });

  it('refuses spec.observability.tracing without an http(s) endpoint (the CRD schema, in the API server)', async () => {
    await expect(
      k.apply({
        kind: 'McpServer',
        metadata: { name: 'bad-endpoint', namespace },
        spec: { observability: { tracing: { endpoint: 'otel-collector:4317' } } },
      }),
    ).rejects.toThrow(/spec.observability.tracing.endpoint/);
    await expect(
      k.apply({
        kind: 'McpServer',
        metadata: { name: 'bad-ratio', namespace },
        spec: { observability: { tracing: { endpoint: 'http://c:4318', samplingRatio: 2 } } },
      }),
    ).rejects.toThrow(/samplingRatio/);
  });
});
