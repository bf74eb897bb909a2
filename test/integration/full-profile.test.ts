// Integration tests against a `full` control plane (kube-controller-manager, kube-scheduler, kwok and a
// fake node) that this file starts and stops itself: Deployments get Ready Pods, and deleting an owner
// garbage-collects its dependents.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, FAKE_NODE_NAME, isAlive, loadKubeConfig, startControlPlane, waitUntil, type ControlPlane } from '../harness/index.js';

let cp: ControlPlane | undefined;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  cp = await startControlPlane({
    profile: 'full',
    log: (message) => process.stderr.write(`[control-plane full] ${message}\n`),
  });
  kc = loadKubeConfig(cp.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
});

afterAll(async () => {
  if (cp === undefined) return;
  const { processes, dir } = cp;
  await cp.stop();
  for (const p of processes) expect(isAlive(p.pid), `${p.name} still running`).toBe(false);
  expect(existsSync(dir)).toBe(false);
});

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'main', image: 'registry.invalid/tas-mcp/fake:1' }] },
      },
    },
  };
}

describe('full profile', () => {
  it('runs all five components and a Ready fake node', async () => {
    expect(cp?.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
    const node = await core.readNode({ name: FAKE_NODE_NAME });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a Deployment gets a ReplicaSet and Running, Ready Pods, and its status moves', async () => {
    const ns = await createNamespace(kc, 'deploy');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2) });

    const ready = await waitUntil(
      'deployment web 2/2 available',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.readyReplicas === 2 && d.status.availableReplicas === 2 && d.status.updatedReplicas === 2 ? d : undefined;
      },
      90_000,
    );
    expect(ready.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(ready.status?.observedGeneration).toBe(ready.metadata?.generation);

    const rs = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=web' });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web' });

    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe(FAKE_NODE_NAME);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.podIP).toMatch(/^10\.244\./);
      expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }

    // Scale up: the status follows.
    await apps.patchNamespacedDeployment({
      name: 'web',
      namespace: ns,
      body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    await waitUntil(
      'deployment web 3/3 ready',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        return d.status?.readyReplicas === 3;
      },
      90_000,
    );
  });

  it('deleting an owner garbage-collects its dependents', async () => {
    const ns = await createNamespace(kc, 'gc');
    const owner = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' };
    expect(ownerRef.uid).not.toBe('');
    for (const name of ['child-a', 'child-b']) {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name, ownerReferences: [ownerRef] }, data: { role: 'child' } },
      });
    }
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'bystander' } } });

    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns, propagationPolicy: 'Background' });
    await waitUntil(
      'children garbage-collected',
      async () => {
        const list = await core.listNamespacedConfigMap({ namespace: ns });
        const names = list.items.map((c) => c.metadata?.name);
        return !names.includes('child-a') && !names.includes('child-b');
      },
      60_000,
    );
    const left = await core.listNamespacedConfigMap({ namespace: ns });
    expect(left.items.map((c) => c.metadata?.name)).toContain('bystander');

    // Foreground deletion of a Deployment removes its ReplicaSet and Pods (kwok finalizes the pods).
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('doomed', 1) });
    await waitUntil(
      'deployment doomed ready',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'doomed', namespace: ns });
        return d.status?.readyReplicas === 1;
      },
      90_000,
    );
    await apps.deleteNamespacedDeployment({ name: 'doomed', namespace: ns, propagationPolicy: 'Foreground' });
    await waitUntil(
      'deployment, replicaset and pods gone',
      async () => {
        const [d, rs, pods] = await Promise.all([
          apps.listNamespacedDeployment({ namespace: ns }),
          apps.listNamespacedReplicaSet({ namespace: ns }),
          core.listNamespacedPod({ namespace: ns }),
        ]);
        return d.items.length === 0 && rs.items.length === 0 && pods.items.length === 0;
      },
      90_000,
    );
  });
});
