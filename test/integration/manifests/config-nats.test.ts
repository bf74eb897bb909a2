// config/nats against a real API server and a real nats-server: the kustomization builds, every
// object is accepted (server-side dry run), the servers' configuration is valid to nats-server
// itself and routes to exactly the StatefulSet's pods, and the sample McpServers point at its
// client Service with a stream the cluster can hold.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { binPath, createNamespace, deleteNamespace, installCrds } from '../../harness/index.js';
import { renderServer } from '../../../operator/render/index.js';
import { resolveBus } from '../../../operator/resolve/bus.js';
import type { McpServer } from '../../../src/api/index.js';
import { CRD_DIR, PROJECT_ROOT } from '../../../src/paths.js';

const kubeconfig = inject('kubeconfig');
const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-config-nats-'));
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};
const kubectl = (input: string, ...args: string[]) =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const built = execFileSync('kubectl', ['kustomize', join(PROJECT_ROOT, 'config/nats')], { encoding: 'utf8' });
const objects = parseAllDocuments(built).map((doc) => doc.toJS() as Manifest);
const one = <T>(kind: string, name?: string) =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as unknown as T;
const statefulSet = one<V1StatefulSet>('StatefulSet');
const namespace = statefulSet.metadata!.namespace!;
const sample = (path: string) => parse(readFileSync(join(PROJECT_ROOT, path), 'utf8')) as McpServer;
let testNamespace: string;

beforeAll(async () => {
  await installCrds(kubeconfig, CRD_DIR);
  testNamespace = await createNamespace(kubeconfig, 'config-nats');
});
afterAll(async () => {
  await deleteNamespace(kubeconfig, testNamespace);
  rmSync(dir, { recursive: true, force: true });
});

describe('config/nats', () => {
  it("builds a namespace, the servers' config, a client and a headless Service, a StatefulSet of three with volume claims, and a disruption budget", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/nats-config',
        'Namespace/nats-system',
        'PodDisruptionBudget/nats',
        'Service/nats',
        'Service/nats-headless',
        'StatefulSet/nats',
      ].sort(),
    );
    expect(statefulSet.spec).toMatchObject({ replicas: 3, serviceName: 'nats-headless', podManagementPolicy: 'Parallel' });
    expect(statefulSet.spec!.volumeClaimTemplates![0]!.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
    });
    const container = statefulSet.spec!.template.spec!.containers[0]!;
    expect(container.image).toMatch(/^nats:\d+\.\d+\.\d+-alpine$/); // the official image, a pinned release
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    const headless = one<V1Service>('Service', 'nats-headless');
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    const budget = one<V1PodDisruptionBudget>('PodDisruptionBudget');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: statefulSet.spec!.selector.matchLabels } });
    for (const service of [headless, one<V1Service>('Service', 'nats')])
      expect(service.spec!.selector).toEqual(statefulSet.spec!.selector.matchLabels);
  });

  it("gives nats-server a configuration it accepts, routing to exactly the StatefulSet's pods, with the server name from the pod", () => {
    const conf = one<V1ConfigMap>('ConfigMap').data!['nats.conf']!;
    const path = join(dir, 'nats.conf');
    writeFileSync(path, conf);
    const check = (env: Record<string, string>) =>
      spawnSync(binPath('nats-server'), ['-c', path, '-t'], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    const valid = check({ SERVER_NAME: 'nats-0' });
    expect(`${valid.stdout}${valid.stderr}`).toContain('is valid');
    expect(valid.status).toBe(0);
    // The config needs SERVER_NAME, and the StatefulSet sets it from the pod's name.
    expect(check({}).stderr).toContain("variable reference for 'SERVER_NAME'");
    expect(statefulSet.spec!.template.spec!.containers[0]!.env).toContainEqual({ name: 'SERVER_NAME', value: '$(POD_NAME)' });
    const clusterPort = statefulSet.spec!.template.spec!.containers[0]!.ports!.find((p) => p.name === 'cluster')!.containerPort;
    const routes = [...conf.matchAll(/nats:\/\/([^\s]+)/g)].map((m) => m[1]);
    expect(routes).toEqual(Array.from({ length: 3 }, (_, i) => `nats-${i}.${statefulSet.spec!.serviceName}.${namespace}.svc:${clusterPort}`));
  });

  it('is accepted by the API server (server-side dry run)', () => {
    kubectl(JSON.stringify(one('Namespace')), 'apply', '--server-side', '-f', '-'); // the rest is namespaced in it
    const out = kubectl(built, 'apply', '--server-side', '--dry-run=server', '-f', '-');
    expect(out.trim().split('\n')).toHaveLength(objects.length);
    expect(out).toContain('statefulset.apps/nats serverside-applied (server dry run)');
    expect(out).toContain('poddisruptionbudget.policy/nats serverside-applied (server dry run)');
  });

  it('has sample McpServers that reach its client Service, with a stream the three servers can hold, accepted by the CRD', () => {
    const client = one<V1Service>('Service', 'nats');
    const url = `nats://${client.metadata!.name}.${namespace}.svc:${client.spec!.ports![0]!.port}`;
    const onNats = sample('config/nats/mcp-server.yaml');
    expect(onNats.spec.replicas).toBe(3);
    expect(onNats.spec.bus).toMatchObject({ type: 'jetstream', jetstream: { url, stream: { replicas: statefulSet.spec!.replicas } } });
    expect(sample('config/samples/mcp-server-shared-log.yaml').spec.bus).toEqual({ type: 'jetstream', jetstream: { url } });
    // The operator renders it into a gateway config the gateway loads (renderServer validates with the gateway's parser).
    const bus = resolveBus(onNats, { state: () => 'absent', get: () => undefined }).bus!;
    expect(() => renderServer(onNats, { defaultImage: 'tas-mcp/gateway:dev', peers: [], routes: [], bus })).not.toThrow();
    const inTestNamespace = { ...onNats, metadata: { ...onNats.metadata, namespace: testNamespace } };
    expect(kubectl(JSON.stringify(inTestNamespace), 'apply', '--server-side', '--dry-run=server', '-f', '-')).toContain(
      'mcpserver.mcp.tas.ai/events serverside-applied (server dry run)',
    );
  });
});
