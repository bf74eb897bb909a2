// Operators that must cope: two replicas with one leader, an API server restarted under a
// running operator, and a cluster where pods really turn Ready (the `full` profile with kwok).
import type { V1Deployment, V1Lease } from '@kubernetes/client-node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createNamespace, installCrds, startControlPlane, waitUntil, type ControlPlane } from '../../harness/index.js';
import { CRD_DIR } from '../../../src/paths.js';
import { condition, kube, startTestOperator, type TestOperator } from './support.js';

const started: { operators: TestOperator[]; planes: ControlPlane[] } = { operators: [], planes: [] };
afterEach(async () => {
  await Promise.all(started.operators.splice(0).map((o) => o.stop()));
  await Promise.all(started.planes.splice(0).map((p) => p.stop()));
});

async function operatorOn(kubeconfig: string, env: Record<string, string> = {}) {
  const operator = await startTestOperator(kubeconfig, env);
  started.operators.push(operator);
  return operator;
}

const server = (name: string, namespace: string, spec: Record<string, unknown> = {}) => ({ kind: 'McpServer', metadata: { name, namespace }, spec });

describe('leader election', () => {
  it('two operators: one leads; when it stops, the other takes over and reconciles', async () => {
    const kubeconfig = inject('kubeconfig');
    await installCrds(kubeconfig, CRD_DIR);
    const k = kube(kubeconfig);
    const lease = await createNamespace(kubeconfig, 'lease');
    const ns = await createNamespace(kubeconfig, 'leader');
    const env = { LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: lease, LEASE_DURATION: '4s', RENEW_DEADLINE: '3s', RETRY_PERIOD: '500ms' };
    const first = await operatorOn(kubeconfig, { ...env, POD_NAME: 'op-1' });
    const second = await operatorOn(kubeconfig, { ...env, POD_NAME: 'op-2' });
    await waitUntil('a leader', async () => first.operator.isLeading() || second.operator.isLeading(), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([first, second].filter((o) => o.operator.isLeading())).toHaveLength(1);
    const [leader, standby] = first.operator.isLeading() ? [first, second] : [second, first];
    const held = await k.read<V1Lease>('coordination.k8s.io/v1', 'Lease', lease, 'tas-mcp-operator');
    expect(held?.spec?.holderIdentity).toMatch(leader === first ? /^op-1_/ : /^op-2_/);

    await k.apply(server('led', ns));
    await waitUntil('reconciled by the leader', () => k.read('apps/v1', 'Deployment', ns, 'led'), 20_000);

    await leader.stop(); // releases the Lease
    started.operators.splice(started.operators.indexOf(leader), 1);
    await waitUntil('standby leads', async () => standby.operator.isLeading(), 10_000);
    await k.apply(server('after', ns));
    await waitUntil('reconciled by the new leader', () => k.read('apps/v1', 'Deployment', ns, 'after'), 20_000);
  });
});

describe('an API server restarted under a running operator', () => {
  it('converges once it is back: changes made around the restart are all applied', async () => {
    const plane = await startControlPlane({ profile: 'api' });
    started.planes.push(plane);
    await installCrds(plane.kubeconfigPath, CRD_DIR);
    const k = kube(plane.kubeconfigPath);
    const ns = await createNamespace(plane.kubeconfigPath, 'restart');
    await operatorOn(plane.kubeconfigPath);
    await k.apply(server('before', ns, { replicas: 1 }));
    await waitUntil('first reconcile', () => k.read('apps/v1', 'Deployment', ns, 'before'), 20_000);

    await plane.restartApiServer();
    await k.apply(server('before', ns, { replicas: 3 }));
    await k.apply(server('during', ns));
    await waitUntil(
      'scaled after restart',
      async () => (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'before'))?.spec?.replicas === 3,
      60_000,
    );
    await waitUntil('new server after restart', () => k.read('apps/v1', 'Deployment', ns, 'during'), 60_000);
    await waitUntil('status written', async () => (await k.getCustom('McpServer', ns, 'during'))?.status?.observedGeneration === 1, 60_000);
  });
});

describe('with pods that turn Ready (full profile)', () => {
  it("reports Ready with the Deployment's ready replicas", async () => {
    const plane = await startControlPlane({ profile: 'full' });
    started.planes.push(plane);
    await installCrds(plane.kubeconfigPath, CRD_DIR);
    const k = kube(plane.kubeconfigPath);
    const ns = await createNamespace(plane.kubeconfigPath, 'pods');
    await operatorOn(plane.kubeconfigPath);
    await k.apply(server('live', ns, { replicas: 2 }));
    const ready = await waitUntil(
      'Ready=True',
      async () => {
        const current = await k.getCustom('McpServer', ns, 'live');
        return condition(current, 'Ready')?.status === 'True' ? current : undefined;
      },
      90_000,
    );
    expect(ready.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    expect(condition(ready, 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutComplete' });
    const pods = await k.clients.core.listNamespacedPod({ namespace: ns, labelSelector: ready.status.selector });
    expect(pods.items).toHaveLength(2);
    expect(pods.items[0]!.spec!.containers[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true });

    // Deleting the McpServer takes its children with it (owner references, garbage collection).
    await k.deleteCustom('McpServer', ns, 'live');
    await waitUntil('Deployment collected', async () => (await k.read('apps/v1', 'Deployment', ns, 'live')) === undefined, 60_000);
    await waitUntil('ConfigMap collected', async () => (await k.read('v1', 'ConfigMap', ns, 'live-gateway-config')) === undefined, 60_000);
  });
});
