// A real Kubernetes control plane for tests and local runs, without Docker (envtest style):
//   profile 'api':  etcd + kube-apiserver
//   profile 'full': + kube-controller-manager, kube-scheduler, kwok and one fake node, so Deployments get
//                   ReplicaSets and Pods that turn Running/Ready, and owner references are garbage-collected.
// Everything lives in one state directory (certificates, kubeconfig, etcd data, logs, state.json), every
// process runs in its own process group and is killed by stop(), on process exit, on SIGINT/SIGTERM/SIGHUP,
// or - after a hard kill of the owner - by reapStale() at the next start.
import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { binDir, binPath } from './binaries.js';
import { createPki, type Pki } from './pki.js';
import { freePorts } from './ports.js';
import { isAlive, poll, registerCleanup, startProcess, stopGroup, waitFor, withPortRetry, type Managed } from './proc.js';
import {
  newOwnedState,
  readState as readOwnedState,
  reapStale as reapStaleDirs,
  stopFromState,
  writeState,
  type OwnedState,
  type ProcessInfo,
} from './state-dir.js';

export type Profile = 'api' | 'full';

export interface StartOptions {
  profile?: Profile;
  /** State directory (created, must be empty or absent). Default: a fresh temp dir under os.tmpdir(). */
  dir?: string;
  /**
   * Keep the processes running after this Node process exits (used by `cli.js up`). Cleanup hooks are
   * only active while starting. Default false: everything dies with this process.
   */
  persistent?: boolean;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
  /** Overall start timeout in ms (default 180 s). */
  timeoutMs?: number;
}

export interface ControlPlane {
  profile: Profile;
  dir: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  processes: ProcessInfo[];
  /** Stops every process (SIGTERM, then SIGKILL) and removes the state directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops kube-apiserver and starts it again on the same port, with etcd's data intact. */
  restartApiServer(): Promise<void>;
}

export interface StateFile extends OwnedState {
  profile: Profile;
  kubeconfigPath: string;
  server: string;
}

const TEMP_PREFIX = 'tas-mcp-cp-';
export const FAKE_NODE_NAME = 'kwok-node-0';
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_IP = '10.96.0.1';
const POD_CIDR = '10.244.0.0/16';

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const profile = options.profile ?? 'api';
  const log = options.log ?? ((): void => undefined);
  const persistent = options.persistent ?? false;
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const bins = binDir();

  if (!persistent) reapStale(log);
  let dir: string;
  if (options.dir !== undefined) {
    dir = resolve(options.dir);
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`state directory ${dir} is not empty`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } else {
    dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  }
  mkdirSync(join(dir, 'logs'));

  const managed: Managed[] = [];
  const state: StateFile = { ...newOwnedState(dir, persistent), profile, kubeconfigPath: join(dir, 'kubeconfig'), server: '' };
  const saveState = (): void => {
    state.processes = managed.map(({ name, pid, logPath }) => ({ name, pid, logPath }));
    writeState(state);
  };
  saveState();
  const unregister = registerCleanup(() => managed.map((m) => m.pid), dir);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Dependents first, etcd last.
    for (const m of [...managed].reverse()) await stopGroup(m.pid, 5_000, m.exited);
    unregister();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    log(`state dir ${dir}, binaries ${bins}`);
    const pki = createPki(join(dir, 'pki'), SERVICE_IP);

    // etcd
    const etcdUrl = await withPortRetry(
      'etcd',
      async () => {
        const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
        const client = `http://127.0.0.1:${clientPort}`;
        const peer = `http://127.0.0.1:${peerPort}`;
        rmSync(join(dir, 'etcd'), { recursive: true, force: true });
        const proc = startProcess(
          'etcd',
          binPath('etcd'),
          [
            '--name=tas',
            `--data-dir=${join(dir, 'etcd')}`,
            `--listen-client-urls=${client}`,
            `--advertise-client-urls=${client}`,
            `--listen-peer-urls=${peer}`,
            `--initial-advertise-peer-urls=${peer}`,
            `--initial-cluster=tas=${peer}`,
            '--initial-cluster-state=new',
            '--unsafe-no-fsync',
            '--log-level=warn',
          ],
          { logPath: join(dir, 'logs', 'etcd.log'), env: envWithout(/^ETCD_/) },
        );
        managed.push(proc);
        saveState();
        await waitFor('etcd /health', proc, deadline, async () => {
          const res = await get(`${client}/health`);
          return res.status === 200 && res.body.includes('"health":"true"');
        });
        return { proc, value: client };
      },
      managed,
      saveState,
    );
    log(`etcd ready at ${etcdUrl}`);

    // kube-apiserver
    const launchApiServer = async (port: number, readyBy: number): Promise<Managed> => {
      const url = `https://127.0.0.1:${port}`;
      const proc = startProcess(
        'kube-apiserver',
        binPath('kube-apiserver'),
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${port}`,
          `--cert-dir=${pki.dir}`,
          `--tls-cert-file=${pki.serverCert}`,
          `--tls-private-key-file=${pki.serverKey}`,
          `--client-ca-file=${pki.caCert}`,
          `--service-account-key-file=${pki.saPublicKey}`,
          `--service-account-signing-key-file=${pki.saPrivateKey}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--authorization-mode=Node,RBAC',
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          '--allow-privileged=true',
          // The default endpoint reconciler would publish 127.0.0.1 for the `kubernetes` service, which
          // Endpoints validation rejects (loopback); nothing in-cluster needs to reach this apiserver.
          '--endpoint-reconciler-type=none',
          '--profiling=false',
        ],
        { logPath: join(dir, 'logs', 'kube-apiserver.log') },
      );
      managed.push(proc);
      saveState();
      await waitFor('kube-apiserver /readyz', proc, readyBy, async () => {
        const res = await get(`${url}/readyz`, pki);
        return res.status === 200;
      });
      return proc;
    };
    let apiServerPort = 0;
    const server = await withPortRetry(
      'kube-apiserver',
      async () => {
        const [port] = (await freePorts(1)) as [number];
        const proc = await launchApiServer(port, deadline);
        apiServerPort = port;
        return { proc, value: `https://127.0.0.1:${port}` };
      },
      managed,
      saveState,
    );
    /** Stops kube-apiserver and starts it again on the same port (etcd keeps the data). */
    const restartApiServer = async (): Promise<void> => {
      const current = managed.find((m) => m.name === 'kube-apiserver');
      if (current) {
        await stopGroup(current.pid, 5_000, current.exited);
        managed.splice(managed.indexOf(current), 1);
      }
      await launchApiServer(apiServerPort, Date.now() + 60_000);
    };
    state.server = server;
    writeKubeconfig(state.kubeconfigPath, server, pki);
    saveState();
    const kc = new KubeConfig();
    kc.loadFromFile(state.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await poll('namespace default', deadline, async () => {
      await core.readNamespace({ name: 'default' });
      return true;
    });
    log(`kube-apiserver ready at ${server}`);

    if (profile === 'full') {
      await startFullProfile({ dir, pki, kubeconfigPath: state.kubeconfigPath, bins, managed, saveState, deadline, core, log });
    }

    if (persistent) {
      for (const m of managed) m.child.unref();
      unregister();
    }
    saveState();
    log(`control plane (${profile}) ready; kubeconfig ${state.kubeconfigPath}`);
    return {
      profile,
      dir,
      kubeconfigPath: state.kubeconfigPath,
      server,
      stop,
      restartApiServer,
      processes: state.processes,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface FullContext {
  dir: string;
  pki: Pki;
  kubeconfigPath: string;
  bins: string;
  managed: Managed[];
  saveState: () => void;
  deadline: number;
  core: CoreV1Api;
  log: (message: string) => void;
}

async function startFullProfile(ctx: FullContext): Promise<void> {
  const { dir, pki, kubeconfigPath, managed, saveState, deadline, core, log } = ctx;
  const kubeconfigFlags = [
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
  ];

  await withPortRetry(
    'kube-controller-manager',
    async () => {
      const [port] = (await freePorts(1)) as [number];
      const proc = startProcess(
        'kube-controller-manager',
        binPath('kube-controller-manager'),
        [
          ...kubeconfigFlags,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          '--leader-elect=false',
          '--controllers=*',
          '--use-service-account-credentials=false',
          '--cluster-name=tas-mcp-test',
          `--service-account-private-key-file=${pki.saPrivateKey}`,
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          `--service-cluster-ip-range=${SERVICE_CIDR}`,
          '--profiling=false',
        ],
        { logPath: join(dir, 'logs', 'kube-controller-manager.log') },
      );
      managed.push(proc);
      saveState();
      await waitFor('kube-controller-manager /healthz', proc, deadline, async () => {
        return (await get(`https://127.0.0.1:${port}/healthz`, undefined, true)).status === 200;
      });
      return { proc, value: port };
    },
    managed,
    saveState,
  );
  log('kube-controller-manager ready');

  await withPortRetry(
    'kube-scheduler',
    async () => {
      const [port] = (await freePorts(1)) as [number];
      const proc = startProcess(
        'kube-scheduler',
        binPath('kube-scheduler'),
        [...kubeconfigFlags, '--bind-address=127.0.0.1', `--secure-port=${port}`, '--leader-elect=false', '--profiling=false'],
        { logPath: join(dir, 'logs', 'kube-scheduler.log') },
      );
      managed.push(proc);
      saveState();
      await waitFor('kube-scheduler /healthz', proc, deadline, async () => {
        return (await get(`https://127.0.0.1:${port}/healthz`, undefined, true)).status === 200;
      });
      return { proc, value: port };
    },
    managed,
    saveState,
  );
  log('kube-scheduler ready');

  // kwok plays the kubelet for nodes annotated kwok.x-k8s.io/node=fake, with the stages build.sh copied
  // from the kwok module (node initialize + lease heartbeat, pod ready/complete/delete). HOME points into
  // the state dir so a developer's ~/.kwok/kwok.yaml cannot leak in.
  const stages = join(ctx.bins, 'kwok-stages.yaml');
  if (!existsSync(stages)) throw new Error(`${stages} is missing; re-run bash test/cluster/build.sh`);
  mkdirSync(join(dir, 'kwok-home'));
  const kwok = startProcess(
    'kwok',
    binPath('kwok'),
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--config=${stages}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--cidr=${POD_CIDR}`,
      '--node-ip=10.240.0.10',
    ],
    { logPath: join(dir, 'logs', 'kwok.log'), env: { ...process.env, HOME: join(dir, 'kwok-home') } },
  );
  managed.push(kwok);
  saveState();

  await core.createNode({
    body: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: FAKE_NODE_NAME,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': FAKE_NODE_NAME,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node-role.kubernetes.io/agent': '',
          type: 'kwok',
        },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      },
    },
  });
  await waitFor(`node ${FAKE_NODE_NAME} Ready (kwok)`, kwok, deadline, async () => {
    const node = await core.readNode({ name: FAKE_NODE_NAME });
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  // Pods are only admitted once the service-account controller created the namespace's default SA.
  await poll('serviceaccount default/default (kube-controller-manager)', deadline, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
    return true;
  });
  log(`kwok ready, node ${FAKE_NODE_NAME} Ready`);
}

function get(url: string, pki?: Pki, insecure = false): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const opts = {
      method: 'GET',
      timeout: 2_000,
      ...(tls && pki !== undefined ? { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) } : {}),
      ...(tls && insecure ? { rejectUnauthorized: false } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

function writeKubeconfig(path: string, server: string, pki: Pki): void {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'tas-mcp-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: 'tas-mcp-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name: 'tas-mcp-test', context: { cluster: 'tas-mcp-test', user: 'tas-mcp-admin', namespace: 'default' } }],
    'current-context': 'tas-mcp-test',
    preferences: {},
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
}

function envWithout(pattern: RegExp): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !pattern.test(k)));
}

/** Reads a control plane's state.json (undefined if absent or unreadable). */
export function readState(dir: string): StateFile | undefined {
  return readOwnedState<StateFile>(dir);
}

/** Kills and removes temp control planes whose owning process died without cleaning up. */
export function reapStale(log: (message: string) => void = () => undefined): void {
  reapStaleDirs(TEMP_PREFIX, 'control plane', log);
}

export { isAlive, stopFromState, type ProcessInfo };
