import type { V1Deployment, V1Service, V1ConfigMap } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderServer } from '../../../../operator/render/index.js';
import { RESTART_HASH_ANNOTATION } from '../../../../operator/render/names.js';
import type { McpServer, McpServerSpec } from '../../../../src/api/index.js';
import { ConfigError, parseConfig } from '../../../../src/config/index.js';
import type { NatsCredentials, ResolvedBus, ResolvedJetStream } from '../../../../operator/resolve/bus.js';

const server = (spec: McpServerSpec = {}, name = 'alpha'): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name, namespace: 'team-a', uid: 'uid-1', generation: 1 },
  spec,
});
const context = { defaultImage: 'tas-mcp/gateway:dev', peers: [], routes: [], bus: { type: 'memory' as const } };
const peer = (url: string, id: string) => ({ url, id, format: 'mcp' as const });
const find = <T>(objects: { kind?: string }[], kind: string) => objects.find((o) => o.kind === kind) as T;

describe('renderServer', () => {
  it('renders the core children for a default McpServer, without autoscaler or budget', () => {
    const rendered = renderServer(server(), context);
    expect(rendered.objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Service', 'Deployment']);
    expect(rendered.absent.map((a) => a.kind)).toEqual(['HorizontalPodAutoscaler', 'PodDisruptionBudget']);
    for (const object of rendered.objects) expect(object.metadata).toMatchObject({ namespace: 'team-a' });
  });

  it('renders a Deployment that runs non-root, read-only, with probes on /health and /ready', () => {
    const deployment = find<V1Deployment>(renderServer(server(), context).objects, 'Deployment');
    expect(deployment.spec!.replicas).toBe(1);
    const pod = deployment.spec!.template.spec!;
    const container = pod.containers[0]!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.livenessProbe!.httpGet).toMatchObject({ path: '/health', port: 'health' });
    expect(container.readinessProbe!.httpGet).toMatchObject({ path: '/ready', port: 'health' });
    expect(container.image).toBe('tas-mcp/gateway:dev');
    expect(container.ports!.map((p) => p.containerPort)).toEqual([8080, 50051, 8082]);
    expect(deployment.spec!.template.metadata!.annotations![RESTART_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('writes a gateway config the gateway itself accepts, with the spec values', () => {
    const rendered = renderServer(
      server({
        logLevel: 'debug',
        limits: { maxEventSize: '512Ki', bufferSize: 64, admissionWait: '250ms', rateLimit: { eventsPerSecond: 100 } },
        history: { retention: '5m' },
      }),
      {
        ...context,
        peers: [peer('http://beta.team-b.svc.cluster.local:8080', 'team-b/beta')],
        routes: [
          {
            name: 'team-a/docs',
            match: { eventTypes: ['document.*'], sources: [], metadata: {} },
            targets: [{ url: 'http://argo-webhook.argo:12000/mcp', id: 'argo-webhook.argo:12000', format: 'cloudevents' as const }],
            delivery: { timeout: '2s' },
          },
        ],
      },
    );
    const configMap = find<V1ConfigMap>(rendered.objects, 'ConfigMap');
    const config = parseConfig(parse(configMap.data!['gateway.yaml']!));
    expect(config.logLevel).toBe('debug');
    expect(config.limits).toMatchObject({ maxEventSize: 512 * 1024, bufferSize: 64, admissionWait: 250, rateLimit: { eventsPerSecond: 100 } });
    expect(config.history.retention).toBe(300_000);
    expect(config.identity.id).toBe('team-a/alpha');
    expect(config.kubernetesEvents).toMatchObject({
      enabled: true,
      detail: 'all',
      regarding: { kind: 'McpServer', name: 'alpha', namespace: 'team-a', uid: 'uid-1' },
    });
    expect(config.forwarding.targets).toEqual([{ url: 'http://beta.team-b.svc.cluster.local:8080', id: 'team-b/beta', format: 'mcp', batch: true }]);
    expect(config.routes).toEqual([
      expect.objectContaining({ name: 'team-a/docs', targets: [expect.objectContaining({ format: 'cloudevents' })], delivery: { timeout: 2000 } }),
    ]);
  });

  it('renders retryOn from the McpServer and from a route, for the gateway to load', () => {
    const rendered = renderServer(server({ forwarding: { retry: { maxAttempts: 3, retryOn: ['5xx', 429, 'UNAVAILABLE'] } } }), {
      ...context,
      routes: [
        {
          name: 'team-a/argo',
          match: { eventTypes: [], sources: [], metadata: {} },
          targets: [{ url: 'http://argo:12000/mcp', id: 'argo:12000', format: 'cloudevents' as const }],
          delivery: { retry: { retryOn: [400, '5xx'] } },
        },
      ],
    });
    const config = parseConfig(parse(find<V1ConfigMap>(rendered.objects, 'ConfigMap').data!['gateway.yaml']!));
    expect(config.forwarding.retry).toMatchObject({ maxAttempts: 3, retryOn: ['5xx', 429, 'UNAVAILABLE'] });
    expect(config.routes[0]!.delivery.retry).toEqual({ retryOn: [400, '5xx'] });
    expect(() => renderServer(server({ forwarding: { retry: { retryOn: ['sometimes'] } } }), context)).toThrow(/forwarding\.retry\.retryOn\.0/);
  });

  it('rolls the pods for restart settings only: peers change the config, not the restart hash', () => {
    const base = renderServer(server(), context);
    const peered = renderServer(server(), { ...context, peers: [peer('grpc://x:50051', 'x')] });
    const ported = renderServer(server({ ports: { http: 9000 } }), context);
    expect(peered.config.configHash).not.toBe(base.config.configHash);
    expect(peered.config.restartHash).toBe(base.config.restartHash);
    expect(ported.config.restartHash).not.toBe(base.config.restartHash);
    expect(find<V1Service>(ported.objects, 'Service').spec!.ports![0]).toMatchObject({ name: 'http', port: 9000 });
  });

  it('adds a PodDisruptionBudget above one replica, and an autoscaler that owns the count', () => {
    const three = renderServer(server({ replicas: 3 }), context);
    expect(three.objects.map((o) => o.kind)).toContain('PodDisruptionBudget');
    const scaled = renderServer(server({ autoscaling: { minReplicas: 2, maxReplicas: 5 } }), context);
    expect(scaled.objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['HorizontalPodAutoscaler', 'PodDisruptionBudget']));
    expect(find<V1Deployment>(scaled.objects, 'Deployment').spec).not.toHaveProperty('replicas');
  });

  it('refuses a spec the gateway could not load, naming the setting', () => {
    expect(() => renderServer(server({ limits: { maxEventSize: 'banana' } }), context)).toThrow(ConfigError);
    expect(() => renderServer(server({ limits: { maxEventSize: 'banana' } }), context)).toThrow(/limits\.maxEventSize/);
    expect(() => renderServer(server({ resources: { requests: { cpu: 'lots' } } }), context)).toThrow(/spec\.resources\.requests\.cpu/);
  });

  it("renders resources in the API server's canonical form, so an unchanged Deployment is not resent", () => {
    const spec = { resources: { requests: { cpu: '1000m', memory: '0.5Gi' }, limits: { cpu: 2, memory: '2048Mi' } } };
    const container = find<V1Deployment>(renderServer(server(spec), context).objects, 'Deployment').spec!.template.spec!.containers[0]!;
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '2', memory: '2Gi' } });
  });

  it('sizes V8 to the container limits in NODE_OPTIONS, and to the defaults without limits', () => {
    const env = (spec: object) =>
      find<V1Deployment>(renderServer(server(spec), context).objects, 'Deployment').spec!.template.spec!.containers[0]!.env;
    expect(env({ resources: { limits: { cpu: '500m', memory: '256Mi' } } })).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--v8-pool-size=1 --max-old-space-size=192',
    });
    expect(env({ resources: { requests: { memory: '1Gi' } } })).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--v8-pool-size=2',
    });
  });
});

describe('renderServer with spec.security', () => {
  const secured = server({
    security: {
      auth: { mode: 'any', apiKeysSecret: { name: 'keys' }, jwt: { issuer: 'https://idp', jwksUrl: 'https://idp/jwks' }, tenantClaim: 'org' },
      federation: { keysSecret: { name: 'fed' }, requireSignatures: true },
      tls: { secretName: 'cert', mutual: true },
    },
  });

  it('mounts each referenced Secret read-only and points the gateway config at the files', () => {
    const rendered = renderServer(secured, { ...context, secretVersions: { keys: '1', fed: '1', cert: '1' } });
    const config = parseConfig(parse(find<V1ConfigMap>(rendered.objects, 'ConfigMap').data!['gateway.yaml']!));
    expect(config.auth).toMatchObject({
      mode: 'any',
      apiKeys: { file: '/etc/tas-mcp/secrets/api-keys' },
      jwt: { issuer: 'https://idp' },
      tenantClaim: 'org',
    });
    expect(config.federation).toMatchObject({ keysFile: '/etc/tas-mcp/secrets/federation', requireSignatures: true });
    expect(config.tls).toMatchObject({ certFile: '/etc/tas-mcp/secrets/tls/tls.crt', clientCaFile: '/etc/tas-mcp/secrets/tls/ca.crt' });
    const pod = find<V1Deployment>(rendered.objects, 'Deployment').spec!.template.spec!;
    expect(pod.volumes!.filter((v) => v.secret).map((v) => v.secret!.secretName)).toEqual(['keys', 'fed', 'cert']);
    expect(pod.containers[0]!.volumeMounts!.filter((m) => m.mountPath.startsWith('/etc/tas-mcp/secrets')).every((m) => m.readOnly)).toBe(true);
  });

  it('rolls the pods when a referenced Secret changes', () => {
    const before = renderServer(secured, { ...context, secretVersions: { keys: '1', fed: '1', cert: '1' } });
    const after = renderServer(secured, { ...context, secretVersions: { keys: '2', fed: '1', cert: '1' } });
    expect(after.config.restartHash).not.toBe(before.config.restartHash);
  });
});

describe('renderServer with a bus', () => {
  const jetstream = (js: Partial<ResolvedJetStream> = {}): ResolvedBus => ({
    type: 'jetstream',
    jetstream: { urls: ['nats://nats.nats-system.svc:4222'], stream: {}, ...js },
  });
  const rendered = (bus: ResolvedBus, spec: McpServerSpec = {}, secretVersions: Record<string, string> = {}) =>
    renderServer(server(spec), { ...context, bus, secretVersions });
  const gatewayConfig = (out: ReturnType<typeof renderServer>) =>
    parseConfig(parse(find<V1ConfigMap>(out.objects, 'ConfigMap').data!['gateway.yaml']!));
  const pod = (out: ReturnType<typeof renderServer>) => find<V1Deployment>(out.objects, 'Deployment').spec!.template.spec!;

  it('leaves memory out of the config (the gateway default), so servers without a bus keep their restart hash', () => {
    const memory = rendered({ type: 'memory' });
    expect(parse(find<V1ConfigMap>(memory.objects, 'ConfigMap').data!['gateway.yaml']!)).not.toHaveProperty('bus');
    expect(gatewayConfig(memory).bus.type).toBe('memory');
  });

  it("writes the URLs and the stream settings the gateway loads, under the server's identity (its stream name)", () => {
    const config = gatewayConfig(rendered(jetstream({ stream: { replicas: 3, maxAge: '2h', maxBytes: '256Mi', duplicateWindow: '1m' } })));
    expect(config.bus).toMatchObject({
      type: 'jetstream',
      jetstream: {
        urls: ['nats://nats.nats-system.svc:4222'],
        stream: { replicas: 3, maxAge: 7_200_000, maxBytes: 256 * 1024 * 1024, duplicateWindow: 60_000 },
      },
    });
    expect(config.identity.id).toBe('team-a/alpha');
    expect(config.bus.jetstream!.stream.name).toBeUndefined(); // the gateway derives mcp_team-a_alpha from its identity
  });

  it.each([
    [
      'token',
      { kind: 'token', token: { secretName: 'nats', key: 'tok' } },
      { tokenFile: '/etc/tas-mcp/secrets/nats-credentials/token' },
      [{ key: 'tok', path: 'token' }],
    ],
    [
      'user and password',
      { kind: 'userPassword', user: { secretName: 'nats', key: 'username' }, password: { secretName: 'nats', key: 'password' } },
      { userFile: '/etc/tas-mcp/secrets/nats-credentials/user', passwordFile: '/etc/tas-mcp/secrets/nats-credentials/password' },
      [
        { key: 'username', path: 'user' },
        { key: 'password', path: 'password' },
      ],
    ],
    [
      'an NKEY seed',
      { kind: 'nkeySeed', seed: { secretName: 'nats', key: 'seed' } },
      { nkeySeedFile: '/etc/tas-mcp/secrets/nats-credentials/nkey-seed' },
      [{ key: 'seed', path: 'nkey-seed' }],
    ],
    [
      'a creds file',
      { kind: 'creds', creds: { secretName: 'nats', key: 'app.creds' } },
      { credsFile: '/etc/tas-mcp/secrets/nats-credentials/user.creds' },
      [{ key: 'app.creds', path: 'user.creds' }],
    ],
    [
      'an Argo client-auth file',
      { kind: 'basicAuth', file: { secretName: 'nats', key: 'client-auth' } },
      { basicAuthFile: '/etc/tas-mcp/secrets/nats-credentials/client-auth' },
      [{ key: 'client-auth', path: 'client-auth' }],
    ],
  ] as const)('mounts %s read-only from its Secret key and points the config at the file', (_case, credentials, files, items) => {
    const out = rendered(jetstream({ credentials: credentials as NatsCredentials }));
    expect(gatewayConfig(out).bus.jetstream!.credentials).toEqual(files);
    const spec = pod(out);
    expect(spec.volumes!.find((v) => v.name === 'nats-credentials')).toEqual({ name: 'nats-credentials', secret: { secretName: 'nats', items } });
    expect(spec.containers[0]!.volumeMounts!.find((m) => m.name === 'nats-credentials')).toEqual({
      name: 'nats-credentials',
      mountPath: '/etc/tas-mcp/secrets/nats-credentials',
      readOnly: true,
    });
  });

  it('mounts the CA and the client certificate, each from its Secret', () => {
    const out = rendered(
      jetstream({
        urls: ['tls://nats:4222'],
        tls: {
          ca: { secretName: 'ca', key: 'ca.pem' },
          cert: { secretName: 'client', key: 'tls.crt' },
          key: { secretName: 'client', key: 'tls.key' },
        },
      }),
    );
    expect(gatewayConfig(out).bus.jetstream!.tls).toEqual({
      caFile: '/etc/tas-mcp/secrets/nats-ca/ca.crt',
      certFile: '/etc/tas-mcp/secrets/nats-client-cert/tls.crt',
      keyFile: '/etc/tas-mcp/secrets/nats-client-key/tls.key',
    });
    expect(
      pod(out)
        .volumes!.filter((v) => v.name.startsWith('nats-'))
        .map((v) => [v.name, v.secret!.secretName, v.secret!.items]),
    ).toEqual([
      ['nats-ca', 'ca', [{ key: 'ca.pem', path: 'ca.crt' }]],
      ['nats-client-cert', 'client', [{ key: 'tls.crt', path: 'tls.crt' }]],
      ['nats-client-key', 'client', [{ key: 'tls.key', path: 'tls.key' }]],
    ]);
  });

  it('rolls the pods when the bus type, its servers, the stream or a credentials Secret change', () => {
    const hash = (bus: ResolvedBus, versions: Record<string, string> = {}) => rendered(bus, {}, versions).config.restartHash;
    const base = hash(jetstream());
    expect(hash({ type: 'memory' })).not.toBe(base);
    expect(hash(jetstream({ urls: ['nats://other:4222'] }))).not.toBe(base);
    expect(hash(jetstream({ stream: { maxAge: '1h' } }))).not.toBe(base);
    const withToken = jetstream({ credentials: { kind: 'token', token: { secretName: 'nats', key: 'tok' } } });
    expect(hash(withToken, { nats: '1' })).not.toBe(hash(withToken, { nats: '2' }));
    expect(hash(jetstream())).toBe(base);
  });

  it('refuses stream settings the gateway could not load, naming them', () => {
    expect(() => rendered(jetstream({ stream: { maxBytes: '1Ki' } }))).toThrow(/bus\.jetstream\.stream\.maxBytes/);
  });
});
