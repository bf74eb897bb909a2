// spec.security against a real API server: a missing Secret is reported in Degraded, the pods
// mount the Secrets that exist, and a changed Secret rolls them.
import type { V1Deployment } from '@kubernetes/client-node';
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
  ns = await createNamespace(kubeconfig, 'secrets');
});
afterAll(async () => {
  await operator?.stop();
});

const restartHash = async (name = 'guarded') =>
  (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, name))?.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];
const putSecret = (data: Record<string, string>, name = 'gateway-keys') =>
  k.clients.objects.patch(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data } as never,
    undefined,
    undefined,
    'test-user',
    true,
    'application/apply-patch+yaml' as never,
  );

describe('McpServer spec.security', () => {
  it('reports a missing Secret, mounts it once it exists, and rolls the pods when it changes', async () => {
    await k.apply({
      kind: 'McpServer',
      metadata: { name: 'guarded', namespace: ns },
      spec: { security: { auth: { mode: 'apiKey', apiKeysSecret: { name: 'gateway-keys' } } } },
    });
    const degraded = await waitUntil(
      'SecretNotFound',
      async () => {
        const c = condition(await k.getCustom('McpServer', ns, 'guarded'), 'Degraded');
        return c?.reason === 'SecretNotFound' ? c : undefined;
      },
      20_000,
    );
    expect(degraded).toMatchObject({ status: 'True', message: expect.stringContaining('gateway-keys') });

    await putSecret({ ci: 'key-one' });
    await waitUntil('Degraded=False', async () => condition(await k.getCustom('McpServer', ns, 'guarded'), 'Degraded')?.status === 'False', 20_000);
    const deployment = (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'guarded'))!;
    expect(deployment.spec!.template.spec!.volumes).toEqual(
      expect.arrayContaining([{ name: 'api-keys', secret: { secretName: 'gateway-keys', defaultMode: 420 } }]),
    );
    const config = (await k.read('v1', 'ConfigMap', ns, 'guarded-gateway-config'))!.data['gateway.yaml'] as string;
    expect(config).toContain('/etc/tas-mcp/secrets/api-keys');

    const before = await restartHash();
    await putSecret({ ci: 'key-two' });
    await waitUntil('restart hash changed', async () => (await restartHash()) !== before, 20_000);
  });

  it('TLS to a peer: a Secret that is missing is reported, then mounted read-only where the config points, and a renewed CA rolls the pods', async () => {
    await k.apply({
      kind: 'McpServer',
      metadata: { name: 'forwarder', namespace: ns },
      spec: { peers: [{ url: 'https://edge.example:8443', tls: { caSecret: { name: 'edge-ca' }, serverName: 'edge.internal' } }] },
    });
    await waitUntil(
      'SecretNotFound',
      async () => condition(await k.getCustom('McpServer', ns, 'forwarder'), 'Degraded')?.reason === 'SecretNotFound',
      20_000,
    );
    await putSecret({ 'ca.crt': 'first CA' }, 'edge-ca');
    await waitUntil('Degraded=False', async () => condition(await k.getCustom('McpServer', ns, 'forwarder'), 'Degraded')?.status === 'False', 20_000);
    const pod = (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'forwarder'))!.spec!.template.spec!;
    const volume = pod.volumes!.find((v) => v.secret?.secretName === 'edge-ca')!;
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: volume.name, mountPath: '/etc/tas-mcp/secrets/targets/edge-ca', readOnly: true });
    const config = (await k.read('v1', 'ConfigMap', ns, 'forwarder-gateway-config'))!.data['gateway.yaml'] as string;
    expect(config).toContain('caFile: /etc/tas-mcp/secrets/targets/edge-ca/ca.crt');
    expect(config).toContain('serverName: edge.internal');
    const before = await restartHash('forwarder');
    await putSecret({ 'ca.crt': 'renewed CA' }, 'edge-ca');
    await waitUntil('restart hash changed', async () => (await restartHash('forwarder')) !== before, 20_000);
  });
});
