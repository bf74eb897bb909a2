import type { V1Deployment } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderServer } from '../../../../operator/render/index.js';
import { resolvePeers } from '../../../../operator/resolve/peers.js';
import { evaluateRoute } from '../../../../operator/resolve/routes.js';
import type { McpRoute, McpServer, McpServerSpec } from '../../../../src/api/index.js';
import { parseConfig } from '../../../../src/config/index.js';

const server = (name: string, namespace: string, spec: McpServerSpec = {}): McpServer => ({
  apiVersion: 'mcp.tas.ai/v1alpha1',
  kind: 'McpServer',
  metadata: { name, namespace, uid: `uid-${name}` },
  spec,
});
const beta = server('beta', 'team-b', { security: { tls: { secretName: 'beta-tls' } } });
const lookup = (namespace: string, name: string) => (namespace === 'team-b' && name === 'beta' ? beta : undefined);
const MOUNT = '/etc/tas-mcp/secrets/targets';

describe('targets over TLS', () => {
  it('reaches an McpServer that serves TLS over https, trusting the CA and presenting the certificate its peer entry names', () => {
    const alpha = server('alpha', 'team-a', {
      peers: [
        { serverRef: { name: 'beta', namespace: 'team-b' }, tls: { caSecret: { name: 'peers-ca' }, clientCertSecret: { name: 'alpha-client' } } },
        { url: 'grpcs://edge.example:50051', tls: { caSecret: { name: 'edge-ca', key: 'bundle.pem' }, serverName: 'edge.internal' } },
        { url: 'http://plain.example:8080' },
      ],
    });
    const peers = resolvePeers(alpha, lookup, 'cluster.local');
    expect(peers.targets).toEqual([
      {
        url: 'https://beta.team-b.svc.cluster.local:8080',
        id: 'team-b/beta',
        format: 'mcp',
        tls: { caFile: `${MOUNT}/peers-ca/ca.crt`, certFile: `${MOUNT}/alpha-client/tls.crt`, keyFile: `${MOUNT}/alpha-client/tls.key` },
      },
      {
        url: 'grpcs://edge.example:50051',
        id: 'edge.example:50051',
        format: 'mcp',
        tls: { caFile: `${MOUNT}/edge-ca/bundle.pem`, serverName: 'edge.internal' },
      },
      { url: 'http://plain.example:8080', id: 'plain.example:8080', format: 'mcp' },
    ]);
    expect(peers.secrets.sort()).toEqual(['alpha-client', 'edge-ca', 'peers-ca']);
    // Without TLS settings of its own, an McpServer with TLS is still reached over https (system roots).
    expect(
      resolvePeers(server('gamma', 'team-a', { peers: [{ serverRef: { name: 'beta', namespace: 'team-b' } }] }), lookup, 'cluster.local').targets[0],
    ).toEqual({
      url: 'https://beta.team-b.svc.cluster.local:8080',
      id: 'team-b/beta',
      format: 'mcp',
    });
  });

  it("takes a route target's format, batch and TLS, and names its Secrets", () => {
    const route: McpRoute = {
      apiVersion: 'mcp.tas.ai/v1alpha1',
      kind: 'McpRoute',
      metadata: { name: 'hooks', namespace: 'team-a' },
      spec: {
        serverRef: { name: 'alpha' },
        targets: [
          { url: 'https://knative.example/broker', format: 'cloudevents', batch: true, tls: { caSecret: { name: 'knative-ca' } } },
          { url: 'http://old.example:8080', format: 'legacy' },
        ],
      },
    };
    const alpha = server('alpha', 'team-a');
    const evaluation = evaluateRoute(route, {
      lookup: (ns, name) => (ns === 'team-a' && name === 'alpha' ? alpha : undefined),
      listServers: () => [alpha],
      clusterDomain: 'cluster.local',
    });
    expect(evaluation.rendered!.targets).toEqual([
      {
        url: 'https://knative.example/broker',
        id: 'knative.example',
        format: 'cloudevents',
        batch: true,
        tls: { caFile: `${MOUNT}/knative-ca/ca.crt` },
      },
      { url: 'http://old.example:8080', id: 'old.example:8080', format: 'legacy' },
    ]);
    expect(evaluation.secrets).toEqual(['knative-ca']);
  });

  it('mounts each target Secret read-only where the config points, and the config is one the gateway takes', () => {
    const alpha = server('alpha', 'team-a', {
      peers: [{ serverRef: { name: 'beta', namespace: 'team-b' }, tls: { caSecret: { name: 'peers-ca' } } }],
    });
    const peers = resolvePeers(alpha, lookup, 'cluster.local');
    const rendered = renderServer(alpha, {
      defaultImage: 'gw:dev',
      peers: peers.targets,
      routes: [],
      bus: { type: 'memory' },
      targetSecrets: peers.secrets,
    });
    const config = parseConfig(
      parse((rendered.objects.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> }).data['gateway.yaml']!),
    );
    expect(config.forwarding.targets[0]).toMatchObject({
      url: 'https://beta.team-b.svc.cluster.local:8080',
      tls: { caFile: `${MOUNT}/peers-ca/ca.crt` },
    });
    const pod = (rendered.objects.find((o) => o.kind === 'Deployment') as V1Deployment).spec!.template.spec!;
    const volume = pod.volumes!.find((v) => v.secret?.secretName === 'peers-ca')!;
    expect(volume.name).toMatch(/^target-tls-[0-9a-f]{12}$/);
    expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: volume.name, mountPath: `${MOUNT}/peers-ca`, readOnly: true });
  });
});
