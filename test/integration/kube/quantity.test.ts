// canonicalResourceQuantity against the real thing: every input goes into a PodTemplate (server-side dry
// run, so nothing is stored), and what kube-apiserver hands back must be what canonicalQuantity says.
import { CoreV1Api, type V1PodTemplate } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace } from '../../harness/index.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { canonicalResourceQuantity } from '../../../src/kube/quantity.js';

const kubeconfig = inject('kubeconfig');
const inputs: (string | number)[] = [
  '1000m',
  '100m',
  '0.1',
  '1.5',
  '1500',
  '2000',
  '1000000',
  '0.0000000001',
  '1e3',
  '1.5e3',
  '1.5Gi',
  '0.5Gi',
  '2048Ki',
  '1000Ki',
  '0.5Ki',
  '1.5Ki',
  '1024',
  '128974848',
  '129e6',
  '0',
  '0Mi',
  2,
  0.5,
  4000,
];

describe('canonicalResourceQuantity (real API server)', () => {
  const core = loadKubeConfig({ path: kubeconfig }).makeApiClient(CoreV1Api);
  let namespace: string;
  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'quantity');
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  it('writes each quantity exactly as kube-apiserver writes it back', async () => {
    const template: V1PodTemplate = {
      metadata: { name: 'quantities', namespace },
      template: {
        spec: {
          // cpu takes any non-negative quantity, fractions included.
          containers: inputs.map((value, i) => ({ name: `c${i}`, image: 'example.invalid/none', resources: { requests: { cpu: value as string } } })),
        },
      },
    };
    const created = await core.createNamespacedPodTemplate({ namespace, body: template, dryRun: 'All' });
    const returned = created.template!.spec!.containers.map((c) => String(c.resources!.requests!.cpu));
    expect(returned).toHaveLength(inputs.length);
    expect(inputs.map((value) => canonicalResourceQuantity(value))).toEqual(returned);
  });
});
