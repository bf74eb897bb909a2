// The generated CRDs against a real API server: accepted, defaults applied, cross-field rules
// refusing what they should with their messages, and `kubectl explain` served from the schema.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, deleteNamespace, installCrds } from '../../harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../../src/kube/client.js';
import { join } from 'node:path';
import { CRD_DIR, PROJECT_ROOT } from '../../../src/paths.js';

const kubeconfig = inject('kubeconfig');
const clients = createKubeClients(loadKubeConfig({ path: kubeconfig }));
let namespace: string;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  namespace = await createNamespace(kubeconfig, 'crds');
});
afterAll(async () => {
  await deleteNamespace(kubeconfig, namespace);
});

const server = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name, namespace },
  spec,
});

async function refusal(object: Record<string, unknown>): Promise<string> {
  try {
    await clients.customObjects.createNamespacedCustomObject({
      group: 'mcp.tas.ai',
      version: 'v1alpha1',
      namespace,
      plural: (object.kind as string) === 'McpRoute' ? 'mcproutes' : 'mcpservers',
      body: object,
    });
  } catch (error) {
    return String((error as { body?: string }).body ?? error);
  }
  throw new Error('the API server accepted it');
}

describe('McpServer and McpRoute CRDs', () => {
  it('accept a full McpServer and fill in the defaults', async () => {
    const created = (await clients.customObjects.createNamespacedCustomObject({
      group: 'mcp.tas.ai',
      version: 'v1alpha1',
      namespace,
      plural: 'mcpservers',
      body: server('alpha', {
        replicas: 2,
        limits: { maxEventSize: '1Mi', bufferSize: 5000, rateLimit: { eventsPerSecond: 100 } },
        forwarding: { timeout: '5s', retry: { maxAttempts: 3 }, deadLetter: { url: 'http://dlq:8080' } },
        peers: [{ serverRef: { name: 'beta', namespace: 'other' } }, { url: 'grpc://edge:50051' }],
        history: { size: 100, retention: '10m' },
        kubernetesEvents: { enabled: true },
        resources: { requests: { cpu: '100m', memory: '128Mi' } },
        pod: { tolerations: [{ key: 'k', operator: 'Exists' }] },
      }),
    })) as { spec: Record<string, any> };
    expect(created.spec.ports).toEqual({ http: 8080, grpc: 50051, health: 8082 });
    expect(created.spec.logLevel).toBe('info');
    expect(created.spec.kubernetesEvents).toEqual({ enabled: true, qps: 10, burst: 25, detail: 'all' });
  });

  it.each([
    ['replicas with autoscaling', { replicas: 1, autoscaling: { maxReplicas: 3 } }, 'set replicas or autoscaling, not both'],
    ['a peer with both url and serverRef', { peers: [{ url: 'http://x', serverRef: { name: 'y' } }] }, 'give exactly one of serverRef or url'],
    ['a peer with neither', { peers: [{}] }, 'give exactly one of serverRef or url'],
    ['an unreadable size', { limits: { maxEventSize: 'lots' } }, 'must be a number of bytes or a size such as 1MB or 1Mi'],
    ['clashing ports', { ports: { http: 50051 } }, 'http, grpc and health ports must differ'],
    ['min over max replicas', { autoscaling: { minReplicas: 5, maxReplicas: 3 } }, 'minReplicas must not exceed maxReplicas'],
    ['a malformed duration', { history: { retention: 'soon' } }, 'spec.history.retention'],
    ['a peer URL of another scheme', { peers: [{ url: 'ftp://x' }] }, 'spec.peers[0].url'],
    ['a retryOn status that is a delivery', { forwarding: { retry: { retryOn: [200] } } }, 'must be an HTTP status from 300 to 599'],
    ['a retryOn word that is no gRPC status', { forwarding: { retry: { retryOn: ['5xx', 'sometimes'] } } }, 'spec.forwarding.retry.retryOn[1]'],
  ])('refuse %s', async (_case, spec, message) => {
    expect(await refusal(server('bad', spec))).toContain(message);
  });

  it('McpRoute: needs targets and exactly one way to name its server', async () => {
    const route = (spec: Record<string, unknown>) => ({ apiVersion: 'mcp.tas.ai/v1alpha1', kind: 'McpRoute', metadata: { name: 'r', namespace }, spec });
    expect(await refusal(route({ serverRef: { name: 'alpha' }, targets: [] }))).toContain('spec.targets');
    expect(await refusal(route({ targets: [{ url: 'http://x' }] }))).toContain('give exactly one of serverRef or serverSelector');
    expect(await refusal(route({ serverRef: { name: 'a' }, match: { eventTypes: ['doc*.x'] }, targets: [{ url: 'http://x' }] }))).toContain(
      'spec.match.eventTypes[0]',
    );
  });

  it('take retryOn as HTTP statuses, classes and gRPC names, on servers and routes', async () => {
    const created = (await clients.customObjects.createNamespacedCustomObject({
      group: 'mcp.tas.ai',
      version: 'v1alpha1',
      namespace,
      plural: 'mcproutes',
      body: {
        apiVersion: 'mcp.tas.ai/v1alpha1',
        kind: 'McpRoute',
        metadata: { name: 'retry-on', namespace },
        spec: { serverRef: { name: 'alpha' }, targets: [{ url: 'http://argo:12000/mcp', format: 'cloudevents' }], delivery: { retry: { retryOn: [400, '5xx', 'UNAVAILABLE'] } } },
      },
    })) as { spec: Record<string, any> };
    expect(created.spec.delivery.retry.retryOn).toEqual([400, '5xx', 'UNAVAILABLE']);
  });

  it('accept the McpRoute of config/argo (server-side dry run)', () => {
    // Into this test's namespace rather than the sample's team-a, which may not exist here.
    const route = readFileSync(join(PROJECT_ROOT, 'config/argo/mcproute-to-webhook.yaml'), 'utf8').replace('namespace: team-a', `namespace: ${namespace}`);
    const out = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--dry-run=server', '-f', '-'], {
      encoding: 'utf8',
      input: route,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(out).toContain('mcproute.mcp.tas.ai/documents-to-argo serverside-applied (server dry run)');
  });

  it('are explained by kubectl from the schema', () => {
    const text = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'explain', 'mcpservers.spec.limits.maxEventSize'], { encoding: 'utf8' });
    expect(text).toContain('Largest accepted event (MAX_EVENT_SIZE)');
    // kubectl prints <Object> for any CRD int-or-string field (it has no type there); the
    // description says what it takes.
    const explain = (path: string) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'explain', path], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(explain('mcpservers.spec.limits')).toContain(
      'maxEventSize <Object> Largest accepted event (MAX_EVENT_SIZE). (int-or-string: a whole number, or a string such as "1Mi")',
    );
    expect(explain('mcpservers.spec.resources')).toMatch(/requests <map\[string\]Object> Quantities by resource name, [^<]*Each value \(int-or-string:/);
    const columns = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'mcps', '-n', namespace], { encoding: 'utf8' });
    expect(columns.split('\n')[0]).toMatch(/NAME\s+READY\s+REPLICAS\s+ENDPOINT\s+PEERS\s+AGE/);
  });
});
