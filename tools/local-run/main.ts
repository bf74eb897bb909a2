// `make run`: the whole product on this machine, no cluster needed. A development tool (it
// uses the test harness), not part of the product or its images. Starts a local Kubernetes
// control plane (etcd + kube-apiserver, built by test/cluster), installs the CRDs, runs the
// operator (with its federation map), applies config/samples, and runs each gateway pod the
// operator renders as a local process (a local nats-server for the ones on JetStream). Prints the
// endpoints, then runs until Ctrl-C, which stops all of it and removes its files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { McpServer } from '../../src/api/index.js';
import { installCrds, startControlPlane, startNats } from '../../test/harness/index.js';
import { createKubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { Informer, withoutManagedFields } from '../../src/kube/informer.js';
import { createApiListWatchSource } from '../../src/kube/list-watch-source.js';
import { createLogger } from '../../src/observability/logger.js';
import { CRD_DIR, PROJECT_ROOT } from '../../src/paths.js';
import { createOperator } from '../../operator/operator.js';
import { MANAGED_BY } from '../../operator/render/names.js';
import { CHILD_RESOURCES } from '../../operator/resources.js';
import { loadOperatorSettings } from '../../operator/settings.js';
import { GatewayRunner, type RunningGateway } from './gateway-runner.js';

const logger = createLogger({ name: 'tas-mcp-run', level: (process.env.LOG_LEVEL as 'info') ?? 'info' });
const say = (line: string) => process.stdout.write(`${line}\n`);

/** A gateway's name in the table: the server, and which of its replicas when it has several. */
const gatewayName = (g: RunningGateway) => (g.replicas > 1 ? `${g.key} ${g.replica + 1}/${g.replicas}` : g.key);

interface Addresses {
  kubeconfig: string;
  operatorHealth: number;
  mapPort: number | undefined;
  stateDir: string;
  natsUrls: string[] | undefined;
}

function table(gateways: RunningGateway[], { kubeconfig, operatorHealth, mapPort, stateDir, natsUrls }: Addresses): string {
  const sorted = [...gateways].sort((a, b) => a.key.localeCompare(b.key) || a.replica - b.replica);
  const rows = sorted.map(
    (g) =>
      `  ${gatewayName(g).padEnd(18)} http://127.0.0.1:${g.ports.http}/mcp  grpc 127.0.0.1:${g.ports.grpc}  health http://127.0.0.1:${g.ports.health}/health`,
  );
  const first = sorted[0];
  const shared = sorted.filter((g) => g.replicas > 1);
  return [
    '',
    'TAS MCP is running locally.',
    `  kubeconfig         ${kubeconfig}`,
    `  operator           http://127.0.0.1:${operatorHealth}/metrics`,
    ...(mapPort === undefined ? [] : [`  federation map     http://127.0.0.1:${mapPort}/`]),
    ...(natsUrls ? [`  nats (JetStream)   ${natsUrls.join(',')}`] : []),
    `  configs and logs   ${stateDir}`,
    '  gateways:',
    ...rows,
    '',
    'Try:',
    `  kubectl --kubeconfig ${kubeconfig} get mcpservers,mcproutes -A -o wide`,
    first
      ? `  curl -X POST http://127.0.0.1:${first.ports.http}/mcp -H 'content-type: application/json' -d '{"id":"ctx-001","data":"{\\"agent\\":\\"assistant\\"}"}'`
      : '',
    ...(shared.length >= 2
      ? [
          `  # ${shared[0]!.key} shares one log: subscribe on one replica, post to the other`,
          `  grpcurl -plaintext -d '{"follow":true}' 127.0.0.1:${shared[1]!.ports.grpc} mcp.v1.MCPService/StreamEvents`,
          `  curl -X POST http://127.0.0.1:${shared[0]!.ports.http}/api/v1/events -H 'content-type: application/json' -d '{"event_id":"shared-1","event_type":"demo","source":"make-run","data":"{}"}'`,
        ]
      : []),
    '',
    'Ctrl-C stops everything.',
    'TAS MCP ready',
  ].join('\n');
}

/** What main() started, stopped newest first: on Ctrl-C, and when starting fails (the gateways
 * are child processes, and would outlive the runner otherwise). Newest first is also the order
 * that keeps shutdown quiet: Ctrl-C in a terminal signals the whole process group, so the control
 * plane is already going, and a watcher still running meanwhile fills the screen with reconnects. */
const started: { name: string; stop: () => unknown }[] = [];

async function stopStarted(): Promise<void> {
  for (let part = started.pop(); part; part = started.pop()) {
    try {
      await part.stop();
    } catch (error) {
      logger.warn({ err: error }, `stopping the ${part.name} failed`);
    }
  }
}

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'tas-mcp-run-'));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping operator, gateways, nats-server and control plane...`);
    await stopStarted();
    rmSync(stateDir, { recursive: true, force: true });
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  say('starting a local control plane (etcd + kube-apiserver)...');
  const plane = await startControlPlane({ profile: 'api', log: (m) => logger.debug(m) });
  started.push({ name: 'control plane', stop: () => plane.stop() });
  const kubeconfig = plane.kubeconfigPath;
  await installCrds(kubeconfig, CRD_DIR);

  const kubeConfig = loadKubeConfig({ path: kubeconfig });
  const clients = createKubeClients(kubeConfig);
  const informer = (resource: (typeof CHILD_RESOURCES)['Deployment' | 'ConfigMap']) =>
    new Informer<KubernetesObject>({
      resource,
      source: createApiListWatchSource(kubeConfig, clients.objects, resource),
      labelSelector: `app.kubernetes.io/managed-by=${MANAGED_BY}`,
      transform: withoutManagedFields,
      logger,
    });
  const deployments = informer(CHILD_RESOURCES.Deployment);
  const configMaps = informer(CHILD_RESOURCES.ConfigMap);
  const runner = new GatewayRunner({
    deployments,
    configMaps,
    objects: clients.objects,
    gatewayMain: join(PROJECT_ROOT, 'dist/gateway/main.js'),
    stateDir,
    logger,
    env: { KUBECONFIG: kubeconfig },
    startNats: async () => {
      say('starting a local nats-server (JetStream) for the servers on spec.bus.type: jetstream...');
      return startNats({ nodes: 1, dir: join(stateDir, 'nats'), log: (m) => logger.debug(m) });
    },
  });
  started.push({ name: 'gateways and nats-server', stop: () => runner.stop() });
  const settings = loadOperatorSettings({
    LEADER_ELECT: 'false',
    HEALTH_PORT: '0',
    BIND_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // The federation map is on here (off in the production manifests): MAP_PORT=8090 make run picks its port.
    MAP_PORT: process.env.MAP_PORT ?? '0',
    MAP_SCRAPE_INTERVAL: process.env.MAP_SCRAPE_INTERVAL ?? '2s',
  });
  // The map reads each gateway where it runs here: its local health port, not a cluster Service.
  const gatewayMetricsUrls = (server: McpServer) =>
    runner
      .list()
      .filter((g) => g.key === `${server.metadata.namespace}/${server.metadata.name}`)
      .map((g) => `http://127.0.0.1:${g.ports.health}/metrics`);
  const operator = createOperator(settings, { kubeConfig, logger, onLostLeadership: () => {}, gatewayMetricsUrls });
  started.push({ name: 'operator', stop: () => operator.stop() }); // also what a failed start began
  const { healthPort, mapPort } = await operator.start();

  deployments.start();
  configMaps.start();
  started.push({
    name: 'watchers',
    stop: () => {
      deployments.stop();
      configMaps.stop();
    },
  });

  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-k', join(PROJECT_ROOT, 'config/samples')], { stdio: 'ignore' });
  const samples = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'mcpservers', '-A', '-o', 'name'], { encoding: 'utf8' })
    .trim()
    .split('\n').length;
  const deadline = Date.now() + 120_000;
  while (!(new Set(runner.list().map((g) => g.key)).size >= samples && runner.allReady())) {
    if (Date.now() > deadline) throw new Error(`gateways not ready in 120 s; logs in ${stateDir}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  say(table(runner.list(), { kubeconfig, operatorHealth: healthPort, mapPort, stateDir, natsUrls: await runner.natsUrls() }));
}

main().catch(async (error: unknown) => {
  logger.fatal({ err: error }, 'make run failed');
  await stopStarted();
  logger.flush();
  process.exit(1);
});
