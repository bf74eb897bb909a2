// A stand-in for the kubelet on a machine without a cluster: for every gateway Deployment the
// operator writes, it runs the gateway as a local process with the operator's rendered config
// (see local-config.ts for the two things changed), keeps that config file current so the
// gateway reloads peers and routes live, restarts the process when the pod template's restart
// hash changes, and reports the Deployment's status as a real cluster would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import type { Informer } from '../../src/kube/informer.js';
import { freePort } from '../../test/harness/ports.js';
import type { KubeObjectClient } from '../../src/kube/object-client.js';
import type { Logger } from '../../src/observability/logger.js';
import { CONFIG_FILE_NAME, RESTART_HASH_ANNOTATION } from '../../operator/render/names.js';
import { localGatewayConfig, type LocalPorts } from './local-config.js';

export interface GatewayRunnerOptions {
  deployments: Informer<KubernetesObject>;
  configMaps: Informer<KubernetesObject>;
  objects: KubeObjectClient;
  gatewayMain: string;
  stateDir: string;
  logger: Logger;
  /** Extra environment for the gateway processes (KUBECONFIG, so they can write their Events). */
  env?: Record<string, string>;
}

interface LocalGateway {
  key: string;
  ports: LocalPorts;
  configPath: string;
  restartHash: string | undefined;
  process?: ChildProcess;
  ready: boolean;
  /** What the Deployment status last said, so it is written on change only. */
  reported?: boolean;
}

export interface RunningGateway {
  key: string;
  ports: LocalPorts;
  ready: boolean;
  logPath: string;
}

export class GatewayRunner {
  private readonly gateways = new Map<string, LocalGateway>();
  private readonly ports = new Map<string, LocalPorts>();
  private syncing: Promise<void> = Promise.resolve();
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
    return [...this.gateways.values()].map((g) => ({ key: g.key, ports: g.ports, ready: g.ready, logPath: this.logPath(g.key) }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probe);
    await this.syncing;
    await Promise.all([...this.gateways.values()].map((g) => this.kill(g)));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.syncing = this.syncing.then(() => this.sync()).catch((error: unknown) => this.options.logger.error({ err: error }, 'local gateway sync failed'));
  }

  private logPath(key: string): string {
    return join(this.options.stateDir, `${key.replace('/', '_')}.log`);
  }

  /** Level-based, like a kubelet: make the processes match the Deployments and ConfigMaps. */
  private async sync(): Promise<void> {
    const wanted = new Map<string, { deployment: V1Deployment; configMap: V1ConfigMap }>();
    for (const object of this.options.deployments.list()) {
      const deployment = object as V1Deployment;
      const { namespace, name } = deployment.metadata as { namespace: string; name: string };
      const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'config');
      const configMap = this.options.configMaps.get(namespace, volume?.configMap?.name ?? '') as V1ConfigMap | undefined;
      if (configMap?.data?.[CONFIG_FILE_NAME] && (deployment.spec?.replicas ?? 1) > 0) wanted.set(`${namespace}/${name}`, { deployment, configMap });
    }
    for (const key of wanted.keys()) {
      if (!this.ports.has(key)) this.ports.set(key, { http: await freePort(), grpc: await freePort(), health: await freePort() });
    }
    for (const [key, gateway] of this.gateways) {
      if (!wanted.has(key)) {
        await this.kill(gateway);
        this.gateways.delete(key);
      }
    }
    // Every config is rewritten each pass: a server that appears changes its peers' addresses.
    for (const [key, { deployment, configMap }] of wanted) {
      const ports = this.ports.get(key)!;
      const gateway = this.gateways.get(key) ?? { key, ports, configPath: join(this.options.stateDir, `${key.replace('/', '_')}.yaml`), restartHash: undefined, ready: false };
      this.gateways.set(key, gateway);
      writeFileSync(gateway.configPath, localGatewayConfig(configMap.data![CONFIG_FILE_NAME]!, ports, this.ports));
      const restartHash = deployment.spec?.template.metadata?.annotations?.[RESTART_HASH_ANNOTATION];
      if (gateway.process && gateway.restartHash !== restartHash) await this.kill(gateway);
      gateway.restartHash = restartHash;
      if (!gateway.process) this.spawn(gateway);
    }
  }

  private spawn(gateway: LocalGateway): void {
    const log = createWriteStream(this.logPath(gateway.key), { flags: 'a' });
    const child = spawn(process.execPath, [this.options.gatewayMain, '--config', gateway.configPath], {
      env: { PATH: process.env.PATH ?? '', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    gateway.process = child;
    gateway.ready = false;
    child.once('exit', (code, signal) => {
      if (gateway.process !== child) return;
      gateway.process = undefined;
      gateway.ready = false;
      if (!this.stopped) {
        this.options.logger.warn({ gateway: gateway.key, code, signal }, 'local gateway exited; restarting');
        setTimeout(() => this.schedule(), 1000);
      }
    });
    this.options.logger.info({ gateway: gateway.key, ...gateway.ports, log: this.logPath(gateway.key) }, 'local gateway started');
  }

  private kill(gateway: LocalGateway): Promise<void> {
    const child = gateway.process;
    if (!child || child.exitCode !== null) return Promise.resolve();
    gateway.process = undefined;
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** Reports each Deployment's status from its local process, as the cluster's controllers would. */
  private async probeReadiness(): Promise<void> {
    for (const gateway of this.gateways.values()) {
      let ready = false;
      if (gateway.process) {
        try {
          ready = (await fetch(`http://127.0.0.1:${gateway.ports.health}/ready`, { signal: AbortSignal.timeout(900) })).status === 200;
        } catch {
          ready = false;
        }
      }
      gateway.ready = ready;
      if (ready === gateway.reported) continue;
      gateway.reported = ready;
      const [namespace, name] = gateway.key.split('/') as [string, string];
      const deployment = this.options.deployments.get(namespace, name) as V1Deployment | undefined;
      if (!deployment) continue;
      const count = ready ? 1 : 0;
      await this.options.objects
        .applySubresource(
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name, namespace },
            status: {
              observedGeneration: deployment.metadata?.generation ?? 1,
              replicas: gateway.process ? 1 : 0,
              updatedReplicas: gateway.process ? 1 : 0,
              readyReplicas: count,
              availableReplicas: count,
            },
          } as KubernetesObject,
          'status',
          'tas-mcp-local-runner',
          true,
        )
        .catch((error: unknown) => this.options.logger.warn({ err: error, gateway: gateway.key }, 'could not report Deployment status'));
    }
  }
}
