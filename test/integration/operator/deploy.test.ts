// config/ as a user applies it: the operator's own RBAC is enough for everything it does (the
// operator runs here with the ServiceAccount's token, not as cluster admin), and the samples come
// up peered, with their routes accepted.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { waitUntil } from '../../harness/index.js';
import { installEventBusCrd, installedJetStreamStatus, putEventBus, removeEventBusCrd } from './argo-event-bus.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { PROJECT_ROOT } from '../../../src/paths.js';
import { condition, kube, startTestOperator, type TestOperator } from './support.js';

const kubeconfig = inject('kubeconfig');
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-deploy-'));
let operator: TestOperator | undefined;
afterAll(async () => {
  await operator?.stop();
  // The samples' objects, not their namespaces: without a namespace controller (the `api`
  // profile) a deleted namespace stays Terminating and a rerun could not use it.
  kubectl('delete', 'mcpserver', 'on-argo', '-n', 'team-a', '--wait=false', '--ignore-not-found');
  await removeEventBusCrd(kubeconfig);
  for (const file of ['mcp-routes.yaml', 'mcp-servers.yaml', 'mcp-server-shared-log.yaml']) {
    kubectl('delete', '-f', join(PROJECT_ROOT, 'config/samples', file), '--wait=false', '--ignore-not-found');
  }
  rmSync(dir, { recursive: true, force: true });
});

function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A kubeconfig that authenticates as the operator's ServiceAccount. */
function serviceAccountKubeconfig(): string {
  const token = kubectl('create', 'token', 'tas-mcp-operator', '-n', 'tas-mcp-system', '--duration=1h').trim();
  const admin = loadKubeConfig({ path: kubeconfig });
  const cluster = admin.getCurrentCluster()!;
  const path = join(dir, 'operator.kubeconfig');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: 'operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'c', user: 'operator' } }],
      'current-context': 'operator',
    }),
  );
  return path;
}

describe('config/', () => {
  it('deploys, and the operator reconciles the samples with its own least-privilege RBAC', async () => {
    kubectl('apply', '--server-side', '-k', join(PROJECT_ROOT, 'config/default'));
    const k = kube(kubeconfig);
    expect(await k.read('apps/v1', 'Deployment', 'tas-mcp-system', 'tas-mcp-operator')).toBeDefined();
    // The ServiceAccount may do what it needs, and not what it does not.
    const can = (...what: string[]) =>
      execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'can-i', '--as=system:serviceaccount:tas-mcp-system:tas-mcp-operator', ...what], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const cannot = (...what: string[]) => {
      try {
        return can(...what);
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? '').trim();
      }
    };
    expect(can('patch', 'deployments', '-n', 'team-a')).toBe('yes');
    expect(can('get', 'secrets', '-n', 'team-a')).toBe('yes'); // the ones an McpServer names
    expect(can('list', 'events.events.k8s.io', '-n', 'team-a')).toBe('yes'); // the federation map's server details
    expect(cannot('watch', 'events.events.k8s.io', '-n', 'team-a')).toBe('no');
    expect(cannot('list', 'secrets', '-n', 'team-a')).toBe('no');
    expect(cannot('watch', 'secrets', '-n', 'team-a')).toBe('no');
    expect(cannot('delete', 'mcpservers', '-n', 'team-a')).toBe('no');
    expect(cannot('create', 'pods', '-n', 'team-a')).toBe('no');
    // Argo EventBuses a server names, read only (kubectl maps the name through discovery: the CRD first).
    await installEventBusCrd(kubeconfig);
    expect(can('watch', 'eventbus.argoproj.io', '-n', 'team-a')).toBe('yes');
    expect(cannot('create', 'eventbus.argoproj.io', '-n', 'team-a')).toBe('no');
    expect(cannot('update', 'eventbus.argoproj.io', '-n', 'team-a')).toBe('no');

    operator = await startTestOperator(serviceAccountKubeconfig(), {
      LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: 'tas-mcp-system',
      POD_NAME: 'sa-operator',
      RETRY_PERIOD: '500ms',
      MAP_PORT: '0',
    });
    kubectl('apply', '--server-side', '-k', join(PROJECT_ROOT, 'config/samples'));

    for (const [ns, name] of [
      ['team-a', 'alpha'],
      ['team-b', 'beta'],
    ] as const) {
      const resolved = await waitUntil(
        `${name} peers resolved`,
        async () => {
          const server = await k.getCustom('McpServer', ns, name);
          return condition(server, 'PeersResolved')?.status === 'True' && server?.status.attachedRoutes === 1 ? server : undefined;
        },
        30_000,
      );
      expect(resolved.status.resolvedPeers).toBe(1);
      expect(await k.read('rbac.authorization.k8s.io/v1', 'Role', ns, `${name}-gateway`)).toBeDefined();
    }
    for (const [ns, name] of [
      ['team-a', 'documents-to-team-b'],
      ['team-b', 'tenant-789-to-team-a'],
    ] as const) {
      await waitUntil(`${name} accepted`, async () => condition(await k.getCustom('McpRoute', ns, name), 'Accepted')?.status === 'True', 30_000);
    }
    // The federation map, run as the same ServiceAccount, may list a server's Events.
    const details = (await (await fetch(`http://127.0.0.1:${operator.ports.mapPort}/api/servers/team-a/alpha`)).json()) as {
      id: string;
      eventsError?: string;
      conditions: unknown[];
    };
    expect(details.id).toBe('team-a/alpha');
    expect(details.conditions.length).toBeGreaterThan(0);
    expect(details.eventsError).toBeUndefined();
    // An Argo EventBus, read with the ServiceAccount's rights: its URL reaches the gateway config.
    await putEventBus(kubeconfig, {
      metadata: { name: 'default', namespace: 'team-a' },
      spec: { jetstream: {} },
      status: installedJetStreamStatus('default', 'team-a'),
    });
    await k.apply({
      kind: 'McpServer',
      metadata: { name: 'on-argo', namespace: 'team-a' },
      spec: { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: 'default' } } } },
    });
    const onArgo = await waitUntil(
      'on-argo resolved its EventBus',
      async () => {
        const server = await k.getCustom('McpServer', 'team-a', 'on-argo');
        return server?.status?.bus?.eventBus ? server : undefined;
      },
      30_000,
    );
    expect(onArgo.status.bus).toMatchObject({ type: 'jetstream', eventBus: 'team-a/default' });
    expect((await k.read('v1', 'ConfigMap', 'team-a', 'on-argo-gateway-config'))!.data['gateway.yaml']).toContain(
      'nats://eventbus-default-js-svc.team-a.svc:4222',
    );

    const columns = kubectl('get', 'mcpservers', '-A');
    expect(columns).toMatch(/team-a\s+alpha\s+False\s+0\s+http:\/\/alpha\.team-a\.svc\.cluster\.local:8080\/mcp\s+1/);
  });
});
