// Leader election against a real kube-apiserver: two candidates on one Lease, one leader, and a
// fast takeover when the leader stops and releases the Lease.
import { type V1Lease } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, kubeRequest, waitUntil } from '../../harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { LeaderElector, createLeaseStore } from '../../../src/kube/leader-election.js';

const kubeconfig = inject('kubeconfig');

describe('LeaderElector (real API server)', () => {
  const kc = loadKubeConfig({ path: kubeconfig });
  const store = createLeaseStore(createKubeClients(kc).coordination);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createNamespace(kubeconfig, 'kube-lease');
  });
  afterAll(async () => {
    await deleteNamespace(kubeconfig, namespace);
  });

  function candidate(identity: string, events: string[]): LeaderElector {
    return new LeaderElector({
      store,
      namespace,
      name: 'mcp-operator',
      identity,
      leaseDurationMs: 6_000,
      renewDeadlineMs: 4_000,
      retryPeriodMs: 500,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stopped`),
    });
  }

  it('elects one leader; the other takes over soon after the leader releases', async () => {
    const events: string[] = [];
    const a = candidate('a', events);
    const b = candidate('b', events);
    void a.run();
    await waitUntil('a leads', async () => a.isLeader(), 10_000, 50);
    void b.run();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.observedLeader()).toBe('a');

    // MicroTime on the wire: six fractional digits.
    const raw = await kubeRequest(kubeconfig, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/mcp-operator`);
    const lease = raw.body as V1Lease;
    expect(lease.spec?.holderIdentity).toBe('a');
    expect(String(lease.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    expect(String(lease.spec?.acquireTime)).toMatch(/\.\d{6}Z$/);

    const stoppedAt = Date.now();
    await a.stop();
    await waitUntil('b leads', async () => b.isLeader(), 10_000, 20);
    // Well before the 6 s lease would have expired: the release handed it over.
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    expect(events).toEqual(['a leads', 'a stopped', 'b leads']);
    await b.stop();
    const released = (await kubeRequest(kubeconfig, 'GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/mcp-operator`))
      .body as V1Lease;
    expect(released.spec?.holderIdentity ?? '').toBe('');
  });
});
