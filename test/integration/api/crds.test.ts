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

  it('accept a JetStream bus by URL, by URLs with credentials and TLS, and by Argo EventBus, and default the type to memory', async () => {
    const create = async (name: string, spec: Record<string, unknown>) =>
      (await clients.customObjects.createNamespacedCustomObject({
        group: 'mcp.tas.ai',
        version: 'v1alpha1',
        namespace,
        plural: 'mcpservers',
        body: server(name, spec),
      })) as {
        spec: Record<string, any>;
      };
    expect((await create('bus-default', { bus: {} })).spec.bus).toEqual({ type: 'memory' });
    await create('bus-url', { replicas: 2, bus: { type: 'jetstream', jetstream: { url: 'nats://nats.nats-system.svc:4222' } } });
    const full = await create('bus-full', {
      bus: {
        type: 'jetstream',
        jetstream: {
          urls: ['tls://nats-0.nats:4222', 'tls://nats-1.nats:4222'],
          credentialsSecret: { name: 'nats-user', userKey: 'username', passwordKey: 'password' },
          tls: { caSecret: { name: 'nats-ca' }, clientCertSecret: { name: 'nats-client' } },
          stream: { replicas: 3, maxAge: '2h', maxBytes: '512Mi', duplicateWindow: '5m' },
        },
      },
    });
    expect(full.spec.bus.jetstream.tls.caSecret).toEqual({ name: 'nats-ca', key: 'ca.crt' });
    await create('bus-argo', { bus: { type: 'jetstream', jetstream: { argoEventBus: { name: 'default' } } } });
  });

  const js = (jetstream: Record<string, unknown>) => ({ bus: { type: 'jetstream', jetstream } });
  it.each([
    ['type jetstream without its settings', { bus: { type: 'jetstream' } }, 'jetstream is required when type is jetstream'],
    [
      'jetstream settings on the memory bus',
      { bus: { type: 'memory', jetstream: { url: 'nats://n:4222' } } },
      'jetstream settings need type: jetstream',
    ],
    ['no server at all', js({}), 'give exactly one of url, urls or argoEventBus'],
    ['a URL and an EventBus', js({ url: 'nats://n:4222', argoEventBus: { name: 'default' } }), 'give exactly one of url, urls or argoEventBus'],
    ['url and urls', js({ url: 'nats://n:4222', urls: ['nats://m:4222'] }), 'give exactly one of url, urls or argoEventBus'],
    [
      'credentials beside an EventBus',
      js({ argoEventBus: { name: 'default' }, credentialsSecret: { name: 's', tokenKey: 'token' } }),
      'with argoEventBus the credentials and TLS come from the EventBus',
    ],
    [
      'TLS beside an EventBus',
      js({ argoEventBus: { name: 'default' }, tls: { caSecret: { name: 'ca' } } }),
      'with argoEventBus the credentials and TLS come from the EventBus',
    ],
    [
      'two kinds of credentials',
      js({ url: 'nats://n:4222', credentialsSecret: { name: 's', tokenKey: 'token', credsKey: 'creds' } }),
      'give exactly one of tokenKey, userKey with passwordKey, nkeySeedKey or credsKey',
    ],
    [
      'a credentials Secret naming no key',
      js({ url: 'nats://n:4222', credentialsSecret: { name: 's' } }),
      'give exactly one of tokenKey, userKey with passwordKey, nkeySeedKey or credsKey',
    ],
    [
      'a user without a password',
      js({ url: 'nats://n:4222', credentialsSecret: { name: 's', userKey: 'username' } }),
      'userKey and passwordKey go together',
    ],
    ['an empty tls block', js({ url: 'tls://n:4222', tls: {} }), 'give caSecret, clientCertSecret or both'],
    ['two stream copies', js({ url: 'nats://n:4222', stream: { replicas: 2 } }), 'spec.bus.jetstream.stream.replicas: Unsupported value: 2'],
    [
      'a duplicate window longer than the stream keeps events',
      js({ url: 'nats://n:4222', stream: { maxAge: '1m', duplicateWindow: '2m' } }),
      'duplicateWindow must not exceed maxAge (24h when unset)',
    ],
    [
      'a duplicate window longer than the default age',
      js({ url: 'nats://n:4222', stream: { duplicateWindow: '25h' } }),
      'duplicateWindow must not exceed maxAge (24h when unset)',
    ],
    ['a URL of another scheme', js({ url: 'http://nats:4222' }), 'spec.bus.jetstream.url'],
    [
      'an unreadable stream size',
      js({ url: 'nats://n:4222', stream: { maxBytes: 'lots' } }),
      'must be a number of bytes or a size such as 1MB or 1Mi',
    ],
  ])('refuse a bus with %s', async (_case, spec, message) => {
    expect(await refusal(server('bad-bus', spec))).toContain(message);
  });

  it('McpRoute: needs targets and exactly one way to name its server', async () => {
    const route = (spec: Record<string, unknown>) => ({
      apiVersion: 'mcp.tas.ai/v1alpha1',
      kind: 'McpRoute',
      metadata: { name: 'r', namespace },
      spec,
    });
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
        spec: {
          serverRef: { name: 'alpha' },
          targets: [{ url: 'http://argo:12000/mcp', format: 'cloudevents' }],
          delivery: { retry: { retryOn: [400, '5xx', 'UNAVAILABLE'] } },
        },
      },
    })) as { spec: Record<string, any> };
    expect(created.spec.delivery.retry.retryOn).toEqual([400, '5xx', 'UNAVAILABLE']);
  });

  it('accept the McpRoute of config/argo (server-side dry run)', () => {
    // Into this test's namespace rather than the sample's team-a, which may not exist here.
    const route = readFileSync(join(PROJECT_ROOT, 'config/argo/mcproute-to-webhook.yaml'), 'utf8').replace(
      'namespace: team-a',
      `namespace: ${namespace}`,
    );
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
    const explain = (path: string) =>
      execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'explain', path], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(explain('mcpservers.spec.limits')).toContain(
      'maxEventSize <Object> Largest accepted event (MAX_EVENT_SIZE). (int-or-string: a whole number, or a string such as "1Mi")',
    );
    expect(explain('mcpservers.spec.bus')).toContain('type <string> enum: memory, jetstream');
    expect(explain('mcpservers.spec.bus.jetstream.argoEventBus')).toContain('An Argo Events EventBus of type jetstream in this namespace');
    expect(explain('mcpservers.spec.bus.jetstream.credentialsSecret')).toMatch(/userKey <string> Key holding the user name/);
    expect(explain('mcpservers.status.bus')).toContain('connectedPods <integer> -required- Pods whose log takes events');
    expect(explain('mcpservers.spec.resources')).toMatch(
      /requests <map\[string\]Object> Quantities by resource name, [^<]*Each value \(int-or-string:/,
    );
    const columns = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'mcps', '-n', namespace], { encoding: 'utf8' });
    expect(columns.split('\n')[0]).toMatch(/NAME\s+READY\s+REPLICAS\s+ENDPOINT\s+PEERS\s+AGE/);
  });
});
