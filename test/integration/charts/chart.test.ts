// charts/tas-mcp with the real helm (built from Go modules) and a real kube-apiserver: helm lint,
// the same objects as config/ (object by object), and everything it renders accepted by the API
// server (server-side dry run), for every namespace and for watched namespaces.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, installCrds, waitUntil } from '../../harness/index.js';
import { binPath } from '../../harness/binaries.js';
import { loadKubeConfig } from '../../../src/kube/client.js';
import { CRD_DIR, PROJECT_ROOT } from '../../../src/paths.js';
import { installEventBusCrd, installedJetStreamStatus, putEventBus, removeEventBusCrd } from '../operator/argo-event-bus.js';
import { condition, kube, startTestOperator } from '../operator/support.js';

const kubeconfig = inject('kubeconfig');
const chart = join(PROJECT_ROOT, 'charts/tas-mcp');
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};

const helm = (...args: string[]) => execFileSync(binPath('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const manifests = (text: string): Manifest[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null);
const template = (release: string, namespace: string, ...args: string[]) =>
  manifests(helm('template', release, chart, '--namespace', namespace, ...args));
const kubectl = (input: string, ...args: string[]) =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const id = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** Helm's own labels, which config/ does not carry. */
const HELM_LABELS = ['app.kubernetes.io/instance', 'app.kubernetes.io/version', 'app.kubernetes.io/managed-by', 'helm.sh/chart'];
function withoutHelmLabels<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutHelmLabels) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === 'labels' && child && typeof child === 'object'
        ? Object.fromEntries(Object.entries(child).filter(([label]) => !HELM_LABELS.includes(label)))
        : withoutHelmLabels(child),
    ]),
  ) as T;
}

describe('charts/tas-mcp', () => {
  const namespaces: string[] = [];
  beforeAll(async () => {
    for (const prefix of ['chart', 'chart-watched-a', 'chart-watched-b']) namespaces.push(await createNamespace(kubeconfig, prefix));
  });
  afterAll(async () => {
    for (const namespace of namespaces) await deleteNamespace(kubeconfig, namespace);
    await removeEventBusCrd(kubeconfig);
  });

  it('passes helm lint --strict, with the default values and with watched namespaces', () => {
    expect(helm('lint', chart, '--strict')).toContain('0 chart(s) failed');
    expect(
      helm('lint', chart, '--strict', '--set', 'watchNamespaces={team-a,team-b}', '--set', 'replicas=1', '--set', 'leaderElection.enabled=false'),
    ).toContain('0 chart(s) failed');
  });

  it('refuses values it cannot honour, naming them', () => {
    const refusal = (...args: string[]) => {
      try {
        helm('template', 'tas-mcp', chart, ...args);
        return '';
      } catch (error) {
        return String((error as { stderr?: string }).stderr);
      }
    };
    expect(refusal('--set', 'leaderElection.enabled=false')).toContain('replicas > 1 needs leaderElection.enabled');
    expect(refusal('--set', 'logLevel=loud')).toMatch(/logLevel/);
    expect(refusal('--set', 'watchNamespaces={Team_A}')).toMatch(/watchNamespaces/);
  });

  it('renders the objects config/default renders, object by object (config/ images are the :dev tags)', () => {
    const fromChart = template('tas-mcp', 'tas-mcp-system', '--include-crds', '--set', 'image.tag=dev', '--set', 'gatewayImage.tag=dev');
    const fromConfig = manifests(execFileSync('kubectl', ['kustomize', join(PROJECT_ROOT, 'config/default')], { encoding: 'utf8' }));
    // The chart leaves the namespace to `helm install --create-namespace`.
    const configured = new Map(fromConfig.filter((m) => m.kind !== 'Namespace').map((m) => [id(m), m]));
    const charted = new Map(fromChart.map((m) => [id(m), withoutHelmLabels(m)]));
    expect([...charted.keys()].sort()).toEqual([...configured.keys()].sort());
    expect(configured.size).toBeGreaterThanOrEqual(9);
    for (const [key, object] of configured) expect(charted.get(key), key).toEqual(object);
    // And the chart still labels everything as a Helm release.
    for (const object of fromChart.filter((m) => m.kind !== 'CustomResourceDefinition')) {
      expect(object.metadata.labels?.['app.kubernetes.io/managed-by'], id(object)).toBe('Helm');
    }
  });

  it('is accepted by the API server (server-side dry run): every namespace, with a ClusterRole', () => {
    const [namespace] = namespaces;
    const rendered = helm('template', `chart-${namespace}`, chart, '--namespace', namespace!, '--include-crds');
    const kinds = manifests(rendered).map((m) => m.kind);
    expect(kinds).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'Role']));
    const out = kubectl(rendered, 'apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-');
    expect(out).toContain(`deployment.apps/chart-${namespace}-operator serverside-applied (server dry run)`);
    expect(out.trim().split('\n')).toHaveLength(kinds.length);
  });

  it('is accepted by the API server for watched namespaces, with a Role in each and no ClusterRole', () => {
    const [namespace, a, b] = namespaces as [string, string, string];
    const rendered = helm('template', `chart-${namespace}`, chart, '--namespace', namespace, '--set', `watchNamespaces={${a},${b}}`);
    const objects = manifests(rendered);
    expect(objects.filter((m) => m.kind.startsWith('Cluster'))).toEqual([]);
    expect(
      objects
        .filter((m) => m.kind === 'Role' && m.metadata.name === `chart-${namespace}-operator`)
        .map((m) => m.metadata.namespace)
        .sort(),
    ).toEqual([a, b].sort());
    const env = (
      objects.find((m) => m.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      }
    ).spec.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'WATCH_NAMESPACES')?.value).toBe(`${a},${b}`);
    const out = kubectl(rendered, 'apply', '--server-side', '--dry-run=server', '-f', '-');
    expect(out).toContain(`role.rbac.authorization.k8s.io/chart-${namespace}-operator serverside-applied (server dry run)`);
    expect(out.trim().split('\n')).toHaveLength(objects.length);
  });

  it('serves the federation map only when federationMap.enabled is set, on its port', () => {
    type Container = { env: { name: string; value?: string }[]; ports: { name: string; containerPort: number }[] };
    const container = (objects: Manifest[]) =>
      (objects.find((m) => m.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Container[] } } } }).spec.template.spec
        .containers[0]!;
    const off = container(template('tas-mcp', 'ops'));
    expect(off.env.map((e) => e.name)).not.toContain('MAP_PORT');
    expect(off.ports.map((p) => p.name)).toEqual(['health']);
    const rendered = helm(
      'template',
      'tas-mcp',
      chart,
      '--namespace',
      'ops',
      '--set',
      'federationMap.enabled=true',
      '--set',
      'federationMap.port=9090',
    );
    const on = container(manifests(rendered));
    expect(on.env).toEqual(
      expect.arrayContaining([
        { name: 'MAP_PORT', value: '9090' },
        { name: 'MAP_SCRAPE_INTERVAL', value: '5s' },
      ]),
    );
    expect(on.ports).toContainEqual({ name: 'map', containerPort: 9090 });
    expect(helm('lint', chart, '--strict', '--set', 'federationMap.enabled=true')).toContain('0 chart(s) failed');
    let refused = '';
    try {
      helm('template', 'tas-mcp', chart, '--set', 'federationMap.scrapeInterval=soon');
    } catch (error) {
      refused = String((error as { stderr?: string }).stderr);
    }
    expect(refused).toMatch(/federationMap\/scrapeInterval/);
  });

  it('renders a ServiceMonitor for the metrics Service only when the Prometheus Operator API is served', () => {
    expect(template('tas-mcp', 'ops').map((m) => m.kind)).not.toContain('ServiceMonitor');
    const objects = template('tas-mcp', 'ops', '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor');
    const monitor = objects.find((m) => m.kind === 'ServiceMonitor') as unknown as {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
        namespaceSelector: { matchNames: string[] };
      };
    };
    const service = objects.find((m) => m.kind === 'Service') as unknown as Manifest & { spec: { ports: { name: string }[] } };
    expect(monitor).toBeDefined();
    // It selects the metrics Service by its labels, in its namespace, by its port's name.
    for (const [label, value] of Object.entries(monitor.spec.selector.matchLabels)) expect(service.metadata.labels?.[label]).toBe(value);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual(['ops']);
    expect(service.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
    expect(monitor.spec.endpoints[0]!.path).toBe('/metrics');
    const off = template(
      'tas-mcp',
      'ops',
      '--api-versions',
      'monitoring.coreos.com/v1/ServiceMonitor',
      '--set',
      'metrics.serviceMonitor.enabled=false',
    );
    expect(off.map((m) => m.kind)).not.toContain('ServiceMonitor');
  });

  it('gives an operator watching chosen namespaces all it needs there, and nothing elsewhere', async () => {
    const [home, watched, unwatched] = namespaces as [string, string, string];
    const release = `rbac-${home}`;
    await installCrds(kubeconfig, CRD_DIR);
    await installEventBusCrd(kubeconfig);
    const rendered = helm('template', release, chart, '--namespace', home, '--set', `watchNamespaces={${watched}}`, '--set', 'replicas=1');
    kubectl(rendered, 'apply', '--server-side', '-f', '-');
    const account = `system:serviceaccount:${home}:${release}-operator`;
    const can = (...what: string[]) => {
      try {
        return kubectl('', 'auth', 'can-i', `--as=${account}`, ...what).trim();
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? '').trim();
      }
    };
    expect(can('patch', 'deployments', '-n', watched)).toBe('yes');
    expect(can('list', 'events.events.k8s.io', '-n', watched)).toBe('yes');
    expect(can('list', 'events.events.k8s.io', '-n', unwatched)).toBe('no');
    expect(can('create', 'leases.coordination.k8s.io', '-n', home)).toBe('yes');
    expect(can('patch', 'deployments', '-n', unwatched)).toBe('no');
    expect(can('list', 'mcpservers', '--all-namespaces')).toBe('no');
    expect(can('watch', 'eventbus.argoproj.io', '-n', watched)).toBe('yes');
    expect(can('patch', 'eventbus.argoproj.io', '-n', watched)).toBe('no');
    expect(can('watch', 'eventbus.argoproj.io', '-n', unwatched)).toBe('no');

    // The operator itself, authenticated as that ServiceAccount, reconciles in the watched namespace.
    const token = kubectl('', 'create', 'token', `${release}-operator`, '-n', home, '--duration=1h').trim();
    const cluster = loadKubeConfig({ path: kubeconfig }).getCurrentCluster()!;
    const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-chart-'));
    const saKubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      saKubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'operator', context: { cluster: 'c', user: 'operator' } }],
        'current-context': 'operator',
      }),
    );
    const operator = await startTestOperator(saKubeconfig, {
      WATCH_NAMESPACES: watched,
      LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: home,
      LEADER_ELECTION_ID: `${release}-operator`,
      POD_NAME: 'chart-operator',
      RETRY_PERIOD: '500ms',
    });
    try {
      const k = kube(kubeconfig);
      await k.apply({ kind: 'McpServer', metadata: { name: 'charted', namespace: watched }, spec: {} });
      await waitUntil(
        "the McpServer reconciled with the chart's RBAC",
        async () => condition(await k.getCustom('McpServer', watched, 'charted'), 'Degraded')?.status === 'False',
        30_000,
      );
      expect(await k.read('apps/v1', 'Deployment', watched, 'charted')).toBeDefined();
      expect(await k.read('rbac.authorization.k8s.io/v1', 'Role', watched, 'charted-gateway')).toBeDefined();
      // An Argo EventBus in the watched namespace, read with the chart's Role.
      await putEventBus(kubeconfig, {
        metadata: { name: 'default', namespace: watched },
        spec: { jetstream: {} },
        status: installedJetStreamStatus('default', watched),
      });
      await k.apply({
        kind: 'McpServer',
        metadata: { name: 'on-argo', namespace: watched },
        spec: { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: 'default' } } } },
      });
      const onArgo = await waitUntil(
        "the EventBus resolved with the chart's RBAC",
        async () => {
          const server = await k.getCustom('McpServer', watched, 'on-argo');
          return server?.status?.bus?.eventBus ? server : undefined;
        },
        30_000,
      );
      expect(onArgo.status.bus).toMatchObject({ type: 'jetstream', eventBus: `${watched}/default` });
    } finally {
      await operator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
