// spec.bus.jetstream.argoEventBus against a real API server with Argo Events' own EventBus CRD:
// reported when Argo Events is not installed, found when it is (without restarting the operator),
// each EventBus state named in status, and a resolved EventBus rendered the way Argo publishes it:
// its client URL, and its access Secret mounted and read by the gateway, which then connects to a
// real nats-server with those credentials.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Secret } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, startNats, waitUntil, type NatsServers } from '../../harness/index.js';
import { startGateway } from '../../e2e/support/gateway-process.js';
import { CRD_DIR } from '../../../src/paths.js';
import { installEventBusCrd, installedJetStreamStatus, putEventBus, removeEventBusCrd } from './argo-event-bus.js';
import { condition, kube, startTestOperator, type TestOperator } from './support.js';

const kubeconfig = inject('kubeconfig');
const k = kube(kubeconfig);
let operator: TestOperator | undefined;
let nats: NatsServers | undefined;
let ns: string;
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-eventbus-'));

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  await removeEventBusCrd(kubeconfig); // a rerun against a kept cluster starts without Argo Events too
  operator = await startTestOperator(kubeconfig, { EVENTBUS_RECHECK: '500ms', SECRET_RECHECK: '500ms' });
  ns = await createNamespace(kubeconfig, 'eventbus');
});
afterAll(async () => {
  await operator?.stop();
  await nats?.stop();
  await removeEventBusCrd(kubeconfig);
  rmSync(dir, { recursive: true, force: true });
});

const onEventBus = (name: string, eventBus: string) =>
  k.apply({
    kind: 'McpServer',
    metadata: { name, namespace: ns },
    spec: { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: eventBus } } } },
  });
const reasonOf = async (name: string, type: string) => condition(await k.getCustom('McpServer', ns, name), type);
const waitForReason = (name: string, type: string, reason: string) =>
  waitUntil(
    `${name} ${type}=${reason}`,
    async () => {
      const c = await reasonOf(name, type);
      return c?.reason === reason ? (c as typeof c & { message: string }) : undefined;
    },
    30_000,
  );

describe('McpServer on an Argo Events EventBus', () => {
  it('says Argo Events is not installed, and looks again until it is', async () => {
    await onEventBus('on-argo', 'default');
    const absent = await waitForReason('on-argo', 'SharedLog', 'EventBusAPINotInstalled');
    expect(absent).toMatchObject({
      status: 'False',
      message: expect.stringContaining(`names EventBus ${ns}/default, but Argo Events is not installed`),
    });
    expect(await reasonOf('on-argo', 'Degraded')).toMatchObject({ status: 'True', reason: 'EventBusAPINotInstalled' });
    expect(await k.read('apps/v1', 'Deployment', ns, 'on-argo')).toBeUndefined();

    await installEventBusCrd(kubeconfig);
    const missing = await waitForReason('on-argo', 'SharedLog', 'EventBusNotFound');
    expect(missing.message).toBe(`Argo EventBus ${ns}/default not found`);
  });

  it('names an EventBus that is not ready yet or not JetStream', async () => {
    await putEventBus(kubeconfig, { metadata: { name: 'default', namespace: ns }, spec: { jetstream: { version: 'latest' } } });
    expect((await waitForReason('on-argo', 'SharedLog', 'EventBusNotReady')).message).toContain('has not published its JetStream client URL yet');

    await putEventBus(kubeconfig, {
      metadata: { name: 'stan', namespace: ns },
      spec: { nats: { native: {} } },
      status: { config: { nats: { url: `nats://eventbus-stan-stan-svc.${ns}.svc:4222` } } },
    });
    await onEventBus('on-stan', 'stan');
    expect((await waitForReason('on-stan', 'SharedLog', 'EventBusNotJetStream')).message).toContain('is of type nats');
  });

  it("renders the EventBus's URL and mounts its access Secret, which the gateway reads to connect to NATS", async () => {
    await putEventBus(kubeconfig, {
      metadata: { name: 'default', namespace: ns },
      spec: { jetstream: { version: 'latest' } },
      status: installedJetStreamStatus('default', ns),
    });
    // Argo's installer creates the access Secret beside the status; until it exists the pods could not start.
    expect((await waitForReason('on-argo', 'Degraded', 'SecretNotFound')).message).toContain('eventbus-default-js-client-auth');
    await k.clients.objects.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'eventbus-default-js-client-auth', namespace: ns },
        stringData: { 'client-auth': 'username: 8mSHXuBT\npassword: 0042RtQe' },
      } as KubernetesObject,
      'argo-events-test',
      true,
    );
    await waitForReason('on-argo', 'Degraded', 'AsExpected');
    const server = await k.getCustom('McpServer', ns, 'on-argo');
    expect(server?.status.bus).toEqual({ type: 'jetstream', stream: `mcp_${ns}_on-argo`, eventBus: `${ns}/default`, connectedPods: 0 });
    const rendered = parse((await k.read<V1ConfigMap>('v1', 'ConfigMap', ns, 'on-argo-gateway-config'))!.data!['gateway.yaml']!) as Record<
      string,
      any
    >;
    expect(rendered.bus).toEqual({
      type: 'jetstream',
      jetstream: {
        urls: [`nats://eventbus-default-js-svc.${ns}.svc:4222`],
        credentials: { basicAuthFile: '/etc/tas-mcp/secrets/nats-credentials/client-auth' },
      },
    });
    const pod = (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'on-argo'))!.spec!.template.spec!;
    expect(pod.volumes!.find((v) => v.name === 'nats-credentials')).toEqual({
      name: 'nats-credentials',
      secret: { secretName: 'eventbus-default-js-client-auth', defaultMode: 420, items: [{ key: 'client-auth', path: 'client-auth' }] },
    });

    // The pod's view, on this machine: the Secret key as the mounted file, the EventBus's Service as a local nats-server
    // that takes exactly those credentials.
    nats = await startNats({ auth: { user: '8mSHXuBT', password: '0042RtQe' } });
    const secret = (await k.read<V1Secret>('v1', 'Secret', ns, 'eventbus-default-js-client-auth'))!;
    const clientAuth = join(dir, 'client-auth');
    writeFileSync(clientAuth, Buffer.from(secret.data!['client-auth']!, 'base64'));
    rendered.bus.jetstream.urls = nats.urls;
    rendered.bus.jetstream.credentials.basicAuthFile = clientAuth;
    const configFile = join(dir, 'gateway.yaml');
    writeFileSync(configFile, stringify(rendered));
    const gateway = await startGateway({ args: ['--config', configFile], env: { KUBERNETES_EVENTS: 'false' } });
    try {
      const ready = (await (await fetch(`${gateway.healthUrl}/ready`)).json()) as { ready: boolean; log: unknown };
      expect(ready).toMatchObject({ ready: true, log: { kind: 'jetstream', name: `mcp_${ns}_on-argo`, connected: true } });
    } finally {
      await gateway.stop();
    }
  });
});
