// The operator against a real API server: McpServer and McpRoute in, children and status out.
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
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
let other: string;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  operator = await startTestOperator(kubeconfig);
  ns = await createNamespace(kubeconfig, 'op');
  other = await createNamespace(kubeconfig, 'op-peer');
});
afterAll(async () => {
  await operator?.stop();
});

const server = (name: string, spec: Record<string, unknown>, namespace = ns) => ({ kind: 'McpServer', metadata: { name, namespace }, spec });
const gatewayConfig = async (name: string) => {
  const configMap = await k.read<V1ConfigMap>('v1', 'ConfigMap', ns, `${name}-gateway-config`);
  return configMap ? parse(configMap.data!['gateway.yaml']!) : undefined;
};
const restartHash = async (name: string) =>
  (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, name))?.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];

describe('McpServer', () => {
  it('gets a Deployment, Service, ConfigMap and RBAC owned by it, and a status', async () => {
    await k.apply(server('alpha', { replicas: 2, limits: { bufferSize: 500 } }));
    const owner = (await k.getCustom('McpServer', ns, 'alpha'))!;
    for (const [apiVersion, kind, name] of [
      ['apps/v1', 'Deployment', 'alpha'],
      ['v1', 'Service', 'alpha'],
      ['v1', 'ConfigMap', 'alpha-gateway-config'],
      ['v1', 'ServiceAccount', 'alpha-gateway'],
      ['rbac.authorization.k8s.io/v1', 'Role', 'alpha-gateway'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'alpha-gateway'],
      ['policy/v1', 'PodDisruptionBudget', 'alpha'],
    ] as const) {
      const child = await waitUntil(`${kind} ${name}`, () => k.read(apiVersion, kind, ns, name), 20_000);
      expect(child.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'McpServer', name: 'alpha', uid: owner.metadata.uid, controller: true }),
      ]);
      expect(child.metadata.managedFields.map((f: { manager: string }) => f.manager)).toContain('tas-mcp-operator');
    }
    expect((await gatewayConfig('alpha')).limits).toEqual({ bufferSize: 500 });
    const status = await waitUntil('status', async () => (await k.getCustom('McpServer', ns, 'alpha'))?.status, 20_000);
    expect(status).toMatchObject({
      observedGeneration: 1,
      endpoint: `http://alpha.${ns}.svc.cluster.local:8080/mcp`,
      resolvedPeers: 0,
      attachedRoutes: 0,
    });
    expect(condition({ status }, 'Ready')).toMatchObject({ status: 'False', reason: 'PodsNotReady' });
    expect(condition({ status }, 'Degraded')).toMatchObject({ status: 'False' });
  });

  it('resolves a peer in another namespace once it appears', async () => {
    await k.apply(server('gamma', { peers: [{ serverRef: { name: 'delta', namespace: other } }, { url: 'grpc://edge.example:50051' }] }));
    const missing = await waitUntil(
      'PeersResolved=False',
      async () => {
        const c = condition(await k.getCustom('McpServer', ns, 'gamma'), 'PeersResolved');
        return c?.status === 'False' ? c : undefined;
      },
      20_000,
    );
    expect(missing).toMatchObject({ reason: 'PeerNotFound', message: expect.stringContaining(`${other}/delta`) });
    expect((await gatewayConfig('gamma')).forwarding.targets).toEqual([
      { url: 'grpc://edge.example:50051', id: 'edge.example:50051', format: 'mcp' },
    ]);

    await k.apply(server('delta', { ports: { http: 9090, grpc: 9091, health: 9092 } }, other));
    await waitUntil(
      'PeersResolved=True',
      async () => condition(await k.getCustom('McpServer', ns, 'gamma'), 'PeersResolved')?.status === 'True',
      20_000,
    );
    expect((await gatewayConfig('gamma')).forwarding.targets).toEqual([
      { url: `http://delta.${other}.svc.cluster.local:9090`, id: `${other}/delta`, format: 'mcp' },
      { url: 'grpc://edge.example:50051', id: 'edge.example:50051', format: 'mcp' },
    ]);
    expect((await k.getCustom('McpServer', ns, 'gamma'))?.status.resolvedPeers).toBe(2);
  });

  it('rolls the pods for a port change, not for a peer change', async () => {
    await k.apply(server('epsilon', {}));
    const first = await waitUntil('restart hash', () => restartHash('epsilon'), 20_000);
    await k.apply(server('epsilon', { peers: [{ url: 'http://p1:8080' }] }));
    await waitUntil('peer in config', async () => (await gatewayConfig('epsilon'))?.forwarding?.targets?.length === 1, 20_000);
    expect(await restartHash('epsilon')).toBe(first);
    await k.apply(server('epsilon', { peers: [{ url: 'http://p1:8080' }], ports: { http: 8181 } }));
    const second = await waitUntil(
      'new restart hash',
      async () => {
        const hash = await restartHash('epsilon');
        return hash !== first ? hash : undefined;
      },
      20_000,
    );
    expect(second).toMatch(/^[0-9a-f]{16}$/);
  });

  it('puts back a child deleted or edited by hand', async () => {
    await k.apply(server('zeta', { replicas: 1 }));
    const service = await waitUntil('service', () => k.read('v1', 'Service', ns, 'zeta'), 20_000);
    await k.clients.objects.delete({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'zeta', namespace: ns } });
    const recreated = await waitUntil(
      'service recreated',
      async () => {
        const s = await k.read('v1', 'Service', ns, 'zeta');
        return s && s.metadata.uid !== service.metadata.uid ? s : undefined;
      },
      20_000,
    );
    expect(recreated.spec.ports.map((p: { port: number }) => p.port)).toEqual([8080, 50051, 8082]);

    await k.clients.objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'zeta', namespace: ns }, spec: { replicas: 7 } },
      undefined,
      undefined,
      'someone-else',
      undefined,
      'application/merge-patch+json' as never,
    );
    await waitUntil('replicas restored', async () => (await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'zeta'))?.spec?.replicas === 1, 20_000);
  });

  it('adds an autoscaler with autoscaling set (leaving replicas to it) and removes it when unset', async () => {
    await k.apply(server('eta', { autoscaling: { minReplicas: 2, maxReplicas: 4 } }));
    const hpa = await waitUntil('hpa', () => k.read('autoscaling/v2', 'HorizontalPodAutoscaler', ns, 'eta'), 20_000);
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
    await k.apply(server('eta', { replicas: 1 }));
    await waitUntil('hpa gone', async () => (await k.read('autoscaling/v2', 'HorizontalPodAutoscaler', ns, 'eta')) === undefined, 20_000);
    await waitUntil('pdb gone', async () => (await k.read('policy/v1', 'PodDisruptionBudget', ns, 'eta')) === undefined, 20_000);
    expect((await k.read<V1Deployment>('apps/v1', 'Deployment', ns, 'eta'))!.spec!.replicas).toBe(1);
  });
});

describe('McpRoute', () => {
  const route = (name: string, spec: Record<string, unknown>) => ({ kind: 'McpRoute', metadata: { name, namespace: ns }, spec });

  it('folds valid routes into the server config and refuses invalid ones in their own status', async () => {
    await k.apply(server('theta', {}));
    await k.apply(
      route('docs', {
        serverRef: { name: 'theta' },
        match: { eventTypes: ['document.*'] },
        targets: [{ url: 'http://argo:12000/mcp', format: 'cloudevents' }],
        delivery: { retry: { retryOn: [400, '5xx'] } },
        priority: 10,
      }),
    );
    await k.apply(route('to-alpha', { serverRef: { name: 'theta' }, targets: [{ serverRef: { name: 'alpha' } }] }));
    await k.apply(route('orphan', { serverRef: { name: 'no-such-server' }, targets: [{ url: 'http://x:1' }] }));
    await k.apply(route('dangling', { serverRef: { name: 'theta' }, targets: [{ serverRef: { name: 'no-such-target' } }] }));

    const accepted = await waitUntil(
      'route accepted',
      async () => {
        const r = await k.getCustom('McpRoute', ns, 'docs');
        return condition(r, 'Accepted')?.status === 'True' ? r : undefined;
      },
      20_000,
    );
    expect(accepted.status.servers).toEqual([`${ns}/theta`]);
    const orphan = await waitUntil('orphan refused', async () => condition(await k.getCustom('McpRoute', ns, 'orphan'), 'Accepted'), 20_000);
    expect(orphan).toMatchObject({ status: 'False', reason: 'ServerNotFound' });
    const dangling = await waitUntil('dangling judged', async () => condition(await k.getCustom('McpRoute', ns, 'dangling'), 'ResolvedRefs'), 20_000);
    expect(dangling).toMatchObject({ status: 'False', reason: 'TargetNotFound' });

    const routes = await waitUntil(
      'routes in config',
      async () => {
        const config = await gatewayConfig('theta');
        return config?.routes?.length === 2 ? config.routes : undefined;
      },
      20_000,
    );
    expect(routes.map((r: { name: string }) => r.name)).toEqual([`${ns}/docs`, `${ns}/to-alpha`]);
    expect(routes[0].delivery).toEqual({ retry: { retryOn: [400, '5xx'] } });
    expect(routes[1].targets).toEqual([{ url: `http://alpha.${ns}.svc.cluster.local:8080`, id: `${ns}/alpha`, format: 'mcp' }]);
    await waitUntil('attachedRoutes', async () => (await k.getCustom('McpServer', ns, 'theta'))?.status?.attachedRoutes === 2, 20_000);
  });
});

describe('steady state', () => {
  it('writes nothing over 30 idle seconds', async () => {
    // Let every reconcile above settle, then fingerprint every object the operator writes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const kinds = [
      ['mcp.tas.ai/v1alpha1', 'McpServer'],
      ['mcp.tas.ai/v1alpha1', 'McpRoute'],
      ['apps/v1', 'Deployment'],
      ['v1', 'Service'],
      ['v1', 'ConfigMap'],
      ['v1', 'ServiceAccount'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['policy/v1', 'PodDisruptionBudget'],
    ] as const;
    const fingerprint = async () => {
      const versions: string[] = [];
      for (const [apiVersion, kind] of kinds) {
        const list = await k.clients.objects.list(apiVersion, kind, ns);
        for (const item of list.items) versions.push(`${kind}/${item.metadata!.name}@${item.metadata!.resourceVersion}`);
      }
      return versions.sort();
    };
    const before = await fingerprint();
    expect(before.length).toBeGreaterThan(20);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    expect(await fingerprint()).toEqual(before);
  }, 60_000);
});
