import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reuseConnections } from '../../../src/kube/client.js';
import { onlyStatusChanged } from '../../../src/kube/controller.js';

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

type CreateAgent = (cluster: unknown, options: Record<string, unknown>) => { keepAlive?: boolean; destroy(): void };

describe('reuseConnections', () => {
  it('hands out one keep-alive agent per server and credentials, not one per request', () => {
    const kc = reuseConnections(kubeConfig());
    const createAgent = (kc as unknown as { createAgent: CreateAgent }).createAgent;
    const cluster = kc.getCurrentCluster();
    const first = createAgent(cluster, { ca: 'CA', cert: 'A' });
    expect(createAgent(cluster, { ca: 'CA', cert: 'A' })).toBe(first);
    expect((first as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    expect(createAgent(cluster, { ca: 'CA', cert: 'B' })).not.toBe(first); // a rotated certificate
  });
});

describe('onlyStatusChanged', () => {
  const object = (generation: number, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'X',
    metadata: { name: 'a', generation, labels },
  });
  it('is true for a status write and false for a spec, label or deletion change', () => {
    expect(onlyStatusChanged(object(1), object(1))).toBe(true);
    expect(onlyStatusChanged(object(1), object(2))).toBe(false);
    expect(onlyStatusChanged(object(1), object(1, { team: 'a' }))).toBe(false);
    expect(onlyStatusChanged(object(1), { ...object(1), metadata: { ...object(1).metadata, deletionTimestamp: new Date(0) } })).toBe(false);
  });
});
