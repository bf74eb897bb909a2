// The no-op check with quantities the API server rewrites: a Deployment rendered with
// resources.requests.cpu "1000m" is stored as "1"; rendered canonically, the second apply sends nothing.
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace } from '../../harness/index.js';
import { FIELD_MANAGER } from '../../../operator/operator.js';
import { renderServer } from '../../../operator/render/index.js';
import type { McpServer } from '../../../src/api/index.js';
import { Applier } from '../../../src/kube/apply.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';

const kubeconfig = inject('kubeconfig');

describe('rendered resources (real API server)', () => {
  const clients = createKubeClients(loadKubeConfig({ path: kubeconfig }));
  const applier = new Applier({ client: clients.objects, fieldManager: FIELD_MANAGER });
  let namespace: string;
  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'quantities');
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  it('are stored as rendered, so applying the same Deployment again writes nothing', async () => {
    const server: McpServer = {
      apiVersion: 'mcp.tas.ai/v1alpha1',
      kind: 'McpServer',
      metadata: { name: 'quantities', namespace, uid: 'u' },
      spec: { resources: { requests: { cpu: '1000m', memory: '0.5Gi' }, limits: { cpu: 1.5, memory: '2048Mi' } } },
    };
    const deployment = renderServer(server, { defaultImage: 'tas-mcp/gateway:test', peers: [], routes: [], bus: { type: 'memory' } }).objects.find(
      (object) => object.kind === 'Deployment',
    )!;
    const first = await applier.apply(deployment);
    expect(first.applied).toBe(true);
    const live = (await clients.objects.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'quantities', namespace },
    })) as V1Deployment;
    expect(live.spec!.template.spec!.containers[0]!.resources).toEqual({
      requests: { cpu: '1', memory: '512Mi' },
      limits: { cpu: '1500m', memory: '2Gi' },
    });
    const second = await applier.apply(deployment, live as KubernetesObject);
    expect(second.applied).toBe(false);
  });
});
