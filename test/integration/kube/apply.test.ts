// Server-side apply against a real kube-apiserver: one write for two applies, ownerReference set,
// drift corrected, status through the subresource.
import { CoreV1Api, type KubernetesObject, type V1ConfigMap, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyCrd, createNamespace, deleteNamespace, waitForCrd } from '../../harness/index.js';
import { Applier, controllerOwnerReference, isSatisfiedBy, withDesiredHash } from '../../../src/kube/apply.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';

const kubeconfig = inject('kubeconfig');
const FIELD_MANAGER = 'tas-mcp-operator';

const gadgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.kube-test.tas.ai' },
  spec: {
    group: 'kube-test.tas.ai',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: { type: 'object', properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

describe('server-side apply (real API server)', () => {
  const kc = loadKubeConfig({ path: kubeconfig });
  const clients = createKubeClients(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const applier = new Applier({ client: clients.objects, fieldManager: FIELD_MANAGER });
  let namespace: string;

  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'kube-apply');
    await applyCrd(kc, gadgetCrd);
    await waitForCrd(kc, gadgetCrd.metadata!.name!);
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  it('creates the child with a controller ownerReference; the second apply writes nothing', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'owner', namespace } } });
    const desired: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'child',
        namespace,
        labels: { app: 'gw' },
        ownerReferences: [controllerOwnerReference({ apiVersion: 'v1', kind: 'ConfigMap', metadata: owner.metadata! })],
      },
      data: { 'config.yaml': 'port: 8080\n' },
    };
    const first = await applier.apply(desired);
    expect(first.applied).toBe(true);
    const live = await core.readNamespacedConfigMap({ name: 'child', namespace });
    expect(live.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(live.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([[FIELD_MANAGER, 'Apply']]);

    // With the live object at hand (as from the informer cache), the second apply sends nothing.
    const second = await applier.apply(desired, live);
    expect(second.applied).toBe(false);
    const after = await core.readNamespacedConfigMap({ name: 'child', namespace });
    expect(after.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion);

    // And even a forced re-apply of the same content is a no-op on the server.
    const forced = await clients.objects.patch(withDesiredHash(desired), undefined, undefined, FIELD_MANAGER, true, 'application/apply-patch+yaml');
    expect(forced.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion);
  });

  it('re-applies when someone else changed a field we own, and takes it back', async () => {
    const desired: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'drifting', namespace }, data: { mode: 'strict' } };
    await applier.apply(desired);
    await core.patchNamespacedConfigMap(
      { name: 'drifting', namespace, body: { data: { mode: 'lax' } }, fieldManager: 'kubectl-edit' },
      // client-node 1.4 sends generated patch calls as JSON patch unless told otherwise.
      (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
    );
    const drifted = await core.readNamespacedConfigMap({ name: 'drifting', namespace });
    expect(isSatisfiedBy(withDesiredHash(desired), drifted as KubernetesObject)).toBe(false);
    const result = await applier.apply(desired, drifted);
    expect(result.applied).toBe(true);
    expect((await core.readNamespacedConfigMap({ name: 'drifting', namespace })).data).toEqual({ mode: 'strict' });
  });

  it('applies status through the status subresource, and skips it when unchanged', async () => {
    await clients.customObjects.createNamespacedCustomObject({
      group: 'kube-test.tas.ai',
      version: 'v1alpha1',
      namespace,
      plural: 'gadgets',
      body: { apiVersion: 'kube-test.tas.ai/v1alpha1', kind: 'Gadget', metadata: { name: 'g1', namespace }, spec: { size: 3 } },
    });
    const target = { apiVersion: 'kube-test.tas.ai/v1alpha1', kind: 'Gadget', metadata: { name: 'g1', namespace } };
    const first = await applier.applyStatus<KubernetesObject & { status?: { phase?: string } }>(target, { phase: 'Ready', observedGeneration: 1 });
    expect(first.applied).toBe(true);
    expect(first.object.status?.phase).toBe('Ready');
    const live = (await clients.customObjects.getNamespacedCustomObject({
      group: 'kube-test.tas.ai',
      version: 'v1alpha1',
      namespace,
      plural: 'gadgets',
      name: 'g1',
    })) as KubernetesObject & {
      spec: { size: number };
      status: { phase: string };
    };
    expect(live.status.phase).toBe('Ready');
    expect(live.spec.size).toBe(3);
    const second = await applier.applyStatus(target, { phase: 'Ready', observedGeneration: 1 }, live);
    expect(second.applied).toBe(false);
  });
});
