// spec.bus against a real API server: the memory bus under several pods warned once, a JetStream
// bus rendered into the gateway config and reported from the pods' readiness, its Secrets mounted
// and rolling the pods, and its changes rolling them too.
import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, waitUntil } from '../../harness/index.js';
import { RESTART_HASH_ANNOTATION } from '../../../operator/render/names.js';
import { CRD_DIR } from '../../../src/paths.js';
import { condition, kube, startTestOperator, type TestOperator } from './support.js';

const kubeconfig = inject('kubeconfig');
const k = kube(kubeconfig);
let operator: TestOperator;
let ns: string;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  operator = await startTestOperator(kubeconfig, { SECRET_RECHECK: '500ms' });
  ns = await createNamespace(kubeconfig, 'shared-log');
});
afterAll(async () => {
  await operator?.stop();
});

type Server = {
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    bus?: Record<string, unknown>;
    observedGeneration?: number;
  };
};
const server = (name: string) => k.getCustom<Server>('McpServer', ns, name);
const deployment = (name: string) => k.read<V1Deployment>('apps/v1', 'Deployment', ns, name);
const restartHash = async (name: string) => (await deployment(name))?.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];
const gatewayConfig = async (name: string) =>
  parse((await k.read<V1ConfigMap>('v1', 'ConfigMap', ns, `${name}-gateway-config`))!.data!['gateway.yaml']!) as Record<string, any>;
const waitForCondition = (name: string, type: string, reason: string) =>
  waitUntil(
    `${name} ${type} ${reason}`,
    async () => {
      const c = condition(await server(name), type);
      return c?.reason === reason ? c : undefined;
    },
    30_000,
  );
/** Occurrences of an Event reason about a server (a repeat folded into a series counts). */
async function occurrences(name: string, reason: string): Promise<number> {
  const list = await k.clients.events.listNamespacedEvent({ namespace: ns });
  return list.items.filter((e) => e.regarding?.name === name && e.reason === reason).reduce((sum, e) => sum + (e.series?.count ?? 1), 0);
}
/** Reports the Deployment's pods as a kubelet and the Deployment controller would. */
async function reportPods(name: string, ready: number) {
  const live = (await deployment(name))!;
  const replicas = live.spec?.replicas ?? 1;
  await k.clients.objects.applySubresource(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      status: {
        observedGeneration: live.metadata?.generation ?? 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: ready,
        availableReplicas: ready,
      },
    } as KubernetesObject,
    'status',
    'kubelet-stand-in',
    true,
  );
}
const putSecret = (name: string, stringData: Record<string, string>) =>
  k.clients.objects.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData } as KubernetesObject, 'test-user', true);

describe('McpServer spec.bus', () => {
  it('warns once that two pods on the memory bus each keep their own events, however often the server is reconciled', async () => {
    await k.apply({ kind: 'McpServer', metadata: { name: 'memory', namespace: ns }, spec: { replicas: 2 } });
    const warned = await waitForCondition('memory', 'SharedLog', 'MemoryBus');
    expect(warned).toMatchObject({ status: 'False', message: expect.stringContaining('spec.bus.type: jetstream') });
    expect((await server('memory'))?.status?.bus).toEqual({ type: 'memory', connectedPods: 0 });
    // Three more reconciles, each for a spec change.
    for (const level of ['debug', 'warn', 'info']) {
      await k.apply({ kind: 'McpServer', metadata: { name: 'memory', namespace: ns }, spec: { replicas: 2, logLevel: level } });
      await waitUntil(`reconciled with ${level}`, async () => (await gatewayConfig('memory')).logLevel === level, 20_000);
    }
    await waitUntil('the Warning Event written', async () => (await occurrences('memory', 'MemoryBus')) > 0, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // time for a wrongly repeated Event to be written
    expect(await occurrences('memory', 'MemoryBus')).toBe(1);

    await k.apply({ kind: 'McpServer', metadata: { name: 'memory', namespace: ns }, spec: { replicas: 1 } });
    expect(await waitForCondition('memory', 'SharedLog', 'SinglePod')).toMatchObject({ status: 'True' });
  });

  it("renders a JetStream bus, reports its stream and connected pods from the pods' readiness, and rolls the pods when it changes", async () => {
    const spec = (bus: Record<string, unknown>) => ({ kind: 'McpServer', metadata: { name: 'shared', namespace: ns }, spec: { replicas: 2, bus } });
    await k.apply(spec({ type: 'jetstream', jetstream: { url: 'nats://nats.nats-system.svc:4222', stream: { replicas: 3, maxAge: '2h' } } }));
    const noPod = await waitForCondition('shared', 'SharedLog', 'NoPodConnected');
    expect(noPod.status).toBe('False');
    const config = await gatewayConfig('shared');
    expect(config.bus).toEqual({
      type: 'jetstream',
      jetstream: { urls: ['nats://nats.nats-system.svc:4222'], stream: { replicas: 3, maxAge: '2h' } },
    });
    expect(config.identity.id).toBe(`${ns}/shared`);
    const stream = `mcp_${ns.replace(/[^A-Za-z0-9-]/g, '_')}_shared`;
    expect((await server('shared'))?.status?.bus).toEqual({ type: 'jetstream', stream, connectedPods: 0 });
    expect(condition(await server('shared'), 'Ready')).toMatchObject({ status: 'False', reason: 'NoPodConnected' });
    // No pod has events the other has not seen, so the servers do not warn about it.
    expect(await occurrences('shared', 'NoPodConnected')).toBe(0);

    await reportPods('shared', 2);
    expect(await waitForCondition('shared', 'SharedLog', 'LogConnected')).toMatchObject({ status: 'True', message: expect.stringContaining(stream) });
    expect((await server('shared'))?.status?.bus).toEqual({ type: 'jetstream', stream, connectedPods: 2 });
    expect(condition(await server('shared'), 'Ready')).toMatchObject({ status: 'True' });

    const first = await restartHash('shared');
    await k.apply(spec({ type: 'jetstream', jetstream: { url: 'nats://nats.nats-system.svc:4222', stream: { replicas: 3, maxAge: '4h' } } }));
    await waitUntil('the stream change rolls the pods', async () => (await restartHash('shared')) !== first, 20_000);
    const second = await restartHash('shared');
    await k.apply(spec({ type: 'memory' }));
    await waitUntil('the bus type change rolls the pods', async () => (await restartHash('shared')) !== second, 20_000);
    expect(await gatewayConfig('shared')).not.toHaveProperty('bus');
    expect(await waitForCondition('shared', 'SharedLog', 'MemoryBus')).toMatchObject({ status: 'False' });
  });

  it('mounts the credentials and CA Secrets read-only, reports one that is missing, and rolls the pods when one changes', async () => {
    await k.apply({
      kind: 'McpServer',
      metadata: { name: 'guarded', namespace: ns },
      spec: {
        bus: {
          type: 'jetstream',
          jetstream: {
            url: 'tls://nats.nats-system.svc:4222',
            credentialsSecret: { name: 'nats-user', userKey: 'username', passwordKey: 'password' },
            tls: { caSecret: { name: 'nats-ca' } },
          },
        },
      },
    });
    const missing = await waitForCondition('guarded', 'Degraded', 'SecretNotFound');
    expect(missing.message).toContain('nats-ca, nats-user');

    await putSecret('nats-user', { username: 'gateway', password: 's3cret-one' });
    await putSecret('nats-ca', { 'ca.crt': '-----BEGIN CERTIFICATE-----\n' });
    await waitUntil('Degraded=False', async () => condition(await server('guarded'), 'Degraded')?.status === 'False', 20_000);
    const pod = (await deployment('guarded'))!.spec!.template.spec!;
    expect(pod.volumes!.filter((v) => v.name.startsWith('nats-'))).toEqual([
      {
        name: 'nats-credentials',
        secret: {
          secretName: 'nats-user',
          defaultMode: 420,
          items: [
            { key: 'username', path: 'user' },
            { key: 'password', path: 'password' },
          ],
        },
      },
      { name: 'nats-ca', secret: { secretName: 'nats-ca', defaultMode: 420, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    ]);
    expect(pod.containers[0]!.volumeMounts!.filter((m) => m.name.startsWith('nats-'))).toEqual([
      { name: 'nats-credentials', mountPath: '/etc/tas-mcp/secrets/nats-credentials', readOnly: true },
      { name: 'nats-ca', mountPath: '/etc/tas-mcp/secrets/nats-ca', readOnly: true },
    ]);
    const config = await gatewayConfig('guarded');
    expect(config.bus.jetstream.credentials).toEqual({
      userFile: '/etc/tas-mcp/secrets/nats-credentials/user',
      passwordFile: '/etc/tas-mcp/secrets/nats-credentials/password',
    });
    expect(config.bus.jetstream.tls).toEqual({ caFile: '/etc/tas-mcp/secrets/nats-ca/ca.crt' });
    expect(JSON.stringify(config)).not.toContain('s3cret'); // the password stays in its Secret

    const before = await restartHash('guarded');
    await putSecret('nats-user', { username: 'gateway', password: 's3cret-two' });
    await waitUntil('the changed Secret rolls the pods', async () => (await restartHash('guarded')) !== before, 20_000);
  });
});
