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

const restartHash = async () => (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'guarded'))?.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];
const putSecret = (data: Record<string, string>) =>
  k.clients.objects.patch(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gateway-keys', namespace: ns }, stringData: data } as never,
    undefined,
    undefined,
    'test-user',
    true,
    'application/apply-patch+yaml' as never,
  );

describe('McpServer spec.security', () => {
  it('reports a missing Secret, mounts it once it exists, and rolls the pods when it changes', async () => {
    await k.apply({ kind: 'McpServer', metadata: { name: 'guarded', namespace: ns }, spec: { security: { auth: { mode: 'apiKey', apiKeysSecret: { name: 'gateway-keys' } } } } });
    const degraded = await waitUntil('SecretNotFound', async () => {
      const c = condition(await k.getCustom('McpServer', ns, 'guarded'), 'Degraded');
      return c?.reason === 'SecretNotFound' ? c : undefined;
    }, 20_000);
    expect(degraded).toMatchObject({ status: 'True', message: expect.stringContaining('gateway-keys') });

    await putSecret({ ci: 'key-one' });
    await waitUntil('Degraded=False', async () => condition(await k.getCustom('McpServer', ns, 'guarded'), 'Degraded')?.status === 'False', 20_000);
    const deployment = (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'guarded'))!;
    expect(deployment.spec!.template.spec!.volumes).toEqual(expect.arrayContaining([{ name: 'api-keys', secret: { secretName: 'gateway-keys', defaultMode: 420 } }]));
    const config = (await k.read('v1', 'ConfigMap', ns, 'guarded-gateway-config'))!.data['gateway.yaml'] as string;
    expect(config).toContain('/etc/tas-mcp/secrets/api-keys');

    const before = await restartHash();
    await putSecret({ ci: 'key-two' });
    await waitUntil('restart hash changed', async () => (await restartHash()) !== before, 20_000);
  });
});
