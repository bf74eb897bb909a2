// A stand-in for the kubelet on a machine without a cluster: for every gateway Deployment the
// operator writes, it runs as many gateway processes as the Deployment's replicas, each with the
// operator's rendered config (see local-config.ts for what changes), keeps those config files
// current so the gateways reload peers and routes live, restarts the processes when the pod
// template's restart hash changes, and reports the Deployment's status as a real cluster would.
// When a config puts the log on NATS inside the cluster, a local nats-server stands in for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import type { Informer } from '../../src/kube/informer.js';
import { freePort } from '../../test/harness/ports.js';
import type { KubeObjectClient } from '../../src/kube/object-client.js';
import type { Logger } from '../../src/observability/logger.js';
import { CONFIG_FILE_NAME, RESTART_HASH_ANNOTATION } from '../../operator/render/names.js';
import { localGatewayConfig, usesClusterNats, type LocalPorts } from './local-config.js';
import { gatewayNodeOptions } from '../../src/config/node-options.js';

/** A local NATS with JetStream, started on first need; stopped with the runner. */
export interface LocalNats {
  urls: string[];
  stop(): Promise<void>;
}

export interface GatewayRunnerOptions {
  deployments: Informer<KubernetesObject>;
  configMaps: Informer<KubernetesObject>;
  objects: KubeObjectClient;
  gatewayMain: string;
  stateDir: string;
  logger: Logger;
  /** Starts the local nats-server (the harness's cached build). */
  startNats: () => Promise<LocalNats>;
  /** Extra environment for the gateway processes (KUBECONFIG, so they can write their Events). */
  env?: Record<string, string>;
}

/** One gateway process: a pod of the Deployment. */
interface LocalReplica {
  index: number;
  ports: LocalPorts;
  configPath: string;
  logPath: string;
  process?: ChildProcess;
  ready: boolean;
}

interface LocalServer {
  key: string;
  restartHash: string | undefined;
  replicas: LocalReplica[];
  /** What the Deployment status last said, so it is written on change only. */
  reported?: string;
}

export interface RunningGateway {
  key: string;
  replica: number;
  replicas: number;
  ports: LocalPorts;
  ready: boolean;
  logPath: string;
}

export class GatewayRunner {
  private readonly servers = new Map<string, LocalServer>();
  /** Ports by `namespace/name#replica`, kept across restarts so clients can reconnect. */
  private readonly ports = new Map<string, LocalPorts>();
  private nats: Promise<LocalNats> | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private probing = false;
  private readonly probe: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: GatewayRunnerOptions) {
    mkdirSync(options.stateDir, { recursive: true });
    const resync = () => this.schedule();
    options.deployments.on({ add: resync, update: resync, delete: resync });
    options.configMaps.on({ add: resync, update: resync, delete: resync });
    this.probe = setInterval(() => void this.probeReadiness(), 1000);
  }

  list(): RunningGateway[] {
    return [...this.servers.values()].flatMap((server) =>
      server.replicas.map((r) => ({
        key: server.key,
        replica: r.index,
        replicas: server.replicas.length,
        ports: r.ports,
        ready: r.ready,
        logPath: r.logPath,
      })),
    );
  }

  /** Every Deployment's replicas run and are ready. */
  allReady(): boolean {
    const wanted = this.wanted();
    return [...wanted].every(([key, { replicas }]) => {
      const server = this.servers.get(key);
      return server !== undefined && server.replicas.length === replicas && server.replicas.every((r) => r.ready);
    });
  }

  /** The local NATS URLs, once started. */
  async natsUrls(): Promise<string[] | undefined> {
    return this.nats ? (await this.nats).urls : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probe);
    await this.syncing;
    await Promise.all([...this.servers.values()].flatMap((s) => s.replicas.map((r) => this.kill(r))));
    // On Ctrl-C the harness's own last-resort hook may have stopped it (and removed its files) already.
    if (this.nats) await (await this.nats).stop().catch((error: unknown) => this.options.logger.debug({ err: error }, 'nats-server already stopped'));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.syncing = this.syncing
      .then(() => this.sync())
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'local gateway sync failed'));
  }

  private wanted(): Map<string, { deployment: V1Deployment; configMap: V1ConfigMap; replicas: number }> {
    const wanted = new Map<string, { deployment: V1Deployment; configMap: V1ConfigMap; replicas: number }>();
    for (const object of this.options.deployments.list()) {
      const deployment = object as V1Deployment;
      const { namespace, name } = deployment.metadata as { namespace: string; name: string };
      const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'config');
      const configMap = this.options.configMaps.get(namespace, volume?.configMap?.name ?? '') as V1ConfigMap | undefined;
      // An autoscaled Deployment names no replicas: one process, as the autoscaler's floor would be.
      const replicas = deployment.spec?.replicas ?? 1;
      if (configMap?.data?.[CONFIG_FILE_NAME] && replicas > 0) wanted.set(`${namespace}/${name}`, { deployment, configMap, replicas });
    }
    return wanted;
  }

  private async portsOf(key: string, index: number): Promise<LocalPorts> {
    const id = `${key}#${index}`;
    let ports = this.ports.get(id);
    if (!ports) {
      ports = { http: await freePort(), grpc: await freePort(), health: await freePort() };
      this.ports.set(id, ports);
    }
    return ports;
  }

  /** Level-based, like a kubelet: make the processes match the Deployments and ConfigMaps. */
  private async sync(): Promise<void> {
    const wanted = this.wanted();
    for (const [key, server] of this.servers) {
      if (!wanted.has(key)) {
        await Promise.all(server.replicas.map((r) => this.kill(r)));
        this.servers.delete(key);
      }
    }
    // Peers reach a server's first replica (a Service would pick any).
    const book = new Map<string, LocalPorts>();
    for (const key of wanted.keys()) book.set(key, await this.portsOf(key, 0));
    const needsNats = [...wanted.values()].some(({ configMap }) => usesClusterNats(configMap.data![CONFIG_FILE_NAME]!));
    if (needsNats && !this.nats) {
      this.nats = this.options.startNats();
      this.options.logger.info({ urls: (await this.nats).urls }, 'local nats-server started for the JetStream log');
    }
    const natsUrls = needsNats ? (await this.nats!).urls : [];
    if (this.stopped) return;

    // Every config is rewritten each pass: a server that appears changes its peers' addresses.
    for (const [key, { deployment, configMap, replicas }] of wanted) {
      const server = this.servers.get(key) ?? { key, restartHash: undefined, replicas: [] };
      this.servers.set(key, server);
      const restartHash = deployment.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];
      const restart = server.restartHash !== restartHash;
      server.restartHash = restartHash;
      for (const extra of server.replicas.splice(replicas)) await this.kill(extra);
      for (let index = server.replicas.length; index < replicas; index++) {
        const file = `${key.replace('/', '_')}-${index}`;
        server.replicas.push({
          index,
          ports: await this.portsOf(key, index),
          configPath: join(this.options.stateDir, `${file}.yaml`),
          logPath: join(this.options.stateDir, `${file}.log`),
          ready: false,
        });
      }
      for (const replica of server.replicas) {
        replaceFile(replica.configPath, localGatewayConfig(configMap.data![CONFIG_FILE_NAME]!, replica.ports, book, natsUrls));
        if (replica.process && restart) await this.kill(replica);
        if (!replica.process) this.spawn(server, replica);
      }
    }
  }

  private spawn(server: LocalServer, replica: LocalReplica): void {
    const log = createWriteStream(replica.logPath, { flags: 'a' });
    const name = server.key.split('/')[1]!;
    const child = spawn(process.execPath, [...gatewayNodeOptions(), this.options.gatewayMain, '--config', replica.configPath], {
      // Each replica names itself like a pod would (its Kubernetes Events' reportingInstance).
      env: { PATH: process.env.PATH ?? '', ...this.options.env, POD_NAME: `${name}-local-${replica.index}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    replica.process = child;
    replica.ready = false;
    child.once('exit', (code, signal) => {
      if (replica.process !== child) return;
      replica.process = undefined;
      replica.ready = false;
      if (!this.stopped) {
        this.options.logger.warn({ gateway: server.key, replica: replica.index, code, signal }, 'local gateway exited; restarting');
        setTimeout(() => this.schedule(), 1000);
      }
    });
    this.options.logger.info({ gateway: server.key, replica: replica.index, ...replica.ports, log: replica.logPath }, 'local gateway started');
  }

  private kill(replica: LocalReplica): Promise<void> {
    const child = replica.process;
    replica.ready = false;
    if (!child || child.exitCode !== null) return Promise.resolve();
    replica.process = undefined;
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Reports each Deployment's status from its local processes, as the cluster's controllers would. */
  private async probeReadiness(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all([...this.servers.values()].map((server) => this.probeServer(server)));
    } finally {
      this.probing = false;
    }
  }

  private async probeServer(server: LocalServer): Promise<void> {
    await Promise.all(
      server.replicas.map(async (replica) => {
        let ready = false;
        if (replica.process) {
          try {
            ready = (await fetch(`http://127.0.0.1:${replica.ports.health}/ready`, { signal: AbortSignal.timeout(900) })).status === 200;
          } catch {
            ready = false;
          }
        }
        replica.ready = ready && replica.process !== undefined;
      }),
    );
    const running = server.replicas.filter((r) => r.process).length;
    const ready = server.replicas.filter((r) => r.ready).length;
    const [namespace, name] = server.key.split('/') as [string, string];
    const deployment = this.options.deployments.get(namespace, name) as V1Deployment | undefined;
    if (!deployment) return;
    const generation = deployment.metadata?.generation ?? 1;
    const report = `${generation}:${running}:${ready}`;
    if (report === server.reported) return;
    await this.options.objects
      .applySubresource(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace },
          status: { observedGeneration: generation, replicas: running, updatedReplicas: running, readyReplicas: ready, availableReplicas: ready },
        } as KubernetesObject,
        'status',
        'tas-mcp-local-runner',
        true,
      )
      .then(
        () => (server.reported = report),
        (error: unknown) => this.options.logger.warn({ err: error, gateway: server.key }, 'could not report Deployment status'),
      );
  }
}

/** Replaces a file in one step (a sibling written whole, then renamed over it): a gateway that
 * starts while its config is rewritten would otherwise read it empty and run on the defaults. */
function replaceFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}
