// Real nats-server for tests and local runs: one node, or a three-node JetStream cluster, on free
// loopback ports, each node in its own process group with its config, JetStream store and log under one
// state directory (a fresh temp dir unless given). Nodes can be killed, stopped and started again on the
// same ports and store, so tests can take the cluster apart and put it back. Like the control plane,
// everything is stopped and removed by stop(), on process exit, on SIGINT/SIGTERM/SIGHUP, or - after a
// hard kill of the owner - by the next start (reapStaleNats()).
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { binPath } from './binaries.js';
import { freePorts } from './ports.js';
import { poll, registerCleanup, signalGroup, startProcess, stopGroup, waitFor, withPortRetry, type Managed } from './proc.js';
import { newOwnedState, reapStale, writeState, type OwnedState } from './state-dir.js';

export type NatsAuth = { token: string } | { user: string; password: string };

export interface NatsTls {
  /** The server's certificate (its SANs must cover 127.0.0.1) and key. */
  certFile: string;
  keyFile: string;
  /** The CA the harness (and connectOptions()) verify the server with; also the one client certificates must come from. */
  caFile: string;
  /** When set, the server requires client certificates, and the harness connects with this one. */
  clientCert?: { certFile: string; keyFile: string };
}

export interface StartNatsOptions {
  /** 1 (default) or 3 (a JetStream cluster: R3 streams, a meta leader elected among the three). */
  nodes?: 1 | 3;
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  auth?: NatsAuth;
  tls?: NatsTls;
  /** State directory (created, must be empty or absent). Default: a fresh temp dir under os.tmpdir(). */
  dir?: string;
  /** Keep the servers running after this process exits (`nats-cli.js up`). Default false. */
  persistent?: boolean;
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
  /** Timeout of the start and of each later readiness wait, in ms (default 60 s). */
  timeoutMs?: number;
}

export interface NatsNode {
  index: number;
  /** server_name, n0..n2 */
  name: string;
  /** nats://127.0.0.1:PORT */
  url: string;
  /** http://127.0.0.1:PORT (varz, jsz, healthz) */
  monitorUrl: string;
  configPath: string;
  storeDir: string;
  logPath: string;
}

export interface NatsServers {
  dir: string;
  nodes: NatsNode[];
  /** Client URLs of every node, nats://127.0.0.1:PORT. */
  urls: string[];
  monitorUrls: string[];
  /** Options for @nats-io/transport-node's connect(): every node's URL, the credentials and TLS settings. */
  connectOptions(extra?: Partial<NodeConnectionOptions>): NodeConnectionOptions;
  /** Process-group leaders of the nodes running now. */
  pids(): number[];
  running(index: number): boolean;
  /** Waits until every running node is healthy and (with JetStream) a stream of the cluster's size takes a publish. */
  waitReady(): Promise<void>;
  /** SIGKILL one node (its store stays; startNode brings it back). */
  killNode(index: number): Promise<void>;
  /** SIGTERM one node and wait for it to exit. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped or killed node again: same ports, config and store; it rejoins the cluster. */
  startNode(index: number): Promise<void>;
  stopAll(): Promise<void>;
  /** Starts every stopped node and waits until the whole cluster is ready again. */
  startAll(): Promise<void>;
  /** Stops every node and removes the state directory. Idempotent. */
  stop(): Promise<void>;
}

export interface NatsState extends OwnedState {
  urls: string[];
  monitorUrls: string[];
  nodes: NatsNode[];
}

const TEMP_PREFIX = 'tas-mcp-nats-';
const CLUSTER_NAME = 'tas-test';
// Bounds for a test box: JetStream would otherwise claim 75% of RAM and most of the disk per node.
const MAX_MEMORY_STORE = 256 * 1024 * 1024;
const MAX_FILE_STORE = 4 * 1024 * 1024 * 1024;

export async function startNats(options: StartNatsOptions = {}): Promise<NatsServers> {
  const count = options.nodes ?? 1;
  if (count !== 1 && count !== 3) throw new Error(`startNats: nodes must be 1 or 3, got ${String(count)}`);
  const withJetStream = options.jetstream ?? true;
  const persistent = options.persistent ?? false;
  const log = options.log ?? ((): void => undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  validateAuth(options.auth);
  validateTls(options.tls);
  const serverBin = binPath('nats-server');

  if (!persistent) reapStaleNats(log);
  const dir = makeStateDir(options.dir);
  const nodes: NatsNode[] = Array.from({ length: count }, (_, index) => {
    const name = `n${index}`;
    mkdirSync(join(dir, name), { recursive: true });
    return {
      index,
      name,
      url: '',
      monitorUrl: '',
      configPath: join(dir, name, 'nats.conf'),
      storeDir: join(dir, name, 'jetstream'),
      logPath: join(dir, name, 'nats-server.log'),
    };
  });
  const procs = new Map<number, Managed>();
  const managed: Managed[] = []; // for withPortRetry: the processes of the current start attempt
  const state: NatsState = { ...newOwnedState(dir, persistent), urls: [], monitorUrls: [], nodes };
  const saveState = (): void => {
    state.processes = [...procs.values()].filter((m) => !m.hasExited()).map(({ name, pid, logPath }) => ({ name, pid, logPath }));
    state.urls = nodes.map((n) => n.url);
    state.monitorUrls = nodes.map((n) => n.monitorUrl);
    writeState(state);
  };
  saveState();
  const unregister = registerCleanup(() => [...procs.values()].map((m) => m.pid), dir);

  const connectOptions = (extra: Partial<NodeConnectionOptions> = {}): NodeConnectionOptions => ({
    servers: nodes.map((n) => n.url),
    ...authOptions(options.auth),
    ...(options.tls !== undefined ? { tls: { caFile: options.tls.caFile, ...(options.tls.clientCert ?? {}) } } : {}),
    ...extra,
  });

  const isRunning = (index: number): boolean => {
    const proc = procs.get(index);
    return proc !== undefined && !proc.hasExited();
  };
  const nodeAt = (index: number): NatsNode => {
    const node = nodes[index];
    if (node === undefined) throw new Error(`no NATS node ${index} (nodes 0..${count - 1})`);
    return node;
  };

  const launch = (node: NatsNode): Managed => {
    const proc = startProcess(`nats-server ${node.name}`, serverBin, ['--config', node.configPath], { logPath: node.logPath });
    procs.set(node.index, proc);
    saveState();
    return proc;
  };

  /** Waits for a node's /healthz: `serverOnly` = accepting clients with JetStream on; otherwise also meta leader contact and its streams current. */
  const waitHealthy = async (node: NatsNode, deadline: number, serverOnly = false): Promise<void> => {
    const proc = procs.get(node.index);
    if (proc === undefined) throw new Error(`NATS node ${node.name} is not running`);
    const query = withJetStream && serverOnly ? '?js-server-only=true' : '';
    await waitFor(`${node.name} ${node.monitorUrl}/healthz${query}`, proc, deadline, async () => {
      const res = await fetch(`${node.monitorUrl}/healthz${query}`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200;
    });
  };

  const waitReady = async (deadline = Date.now() + timeoutMs): Promise<void> => {
    const running = nodes.filter((n) => isRunning(n.index));
    if (running.length !== count) {
      throw new Error(`waitReady: only ${running.map((n) => n.name).join(', ') || 'no node'} of ${count} running`);
    }
    for (const node of running) await waitHealthy(node, deadline);
    if (withJetStream) {
      await poll(`JetStream: an R${count} stream takes a publish`, deadline, async () => {
        await probeJetStream(connectOptions(), count);
        return true;
      });
    }
  };

  const stopNode = async (index: number): Promise<void> => {
    const proc = procs.get(nodeAt(index).index);
    if (proc === undefined) return;
    await stopGroup(proc.pid, 10_000, proc.exited);
    procs.delete(index);
    saveState();
  };

  const killNode = async (index: number): Promise<void> => {
    const proc = procs.get(nodeAt(index).index);
    if (proc === undefined) return;
    signalGroup(proc.pid, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([proc.exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
    clearTimeout(timer);
    if (!proc.hasExited()) throw new Error(`${proc.name} (pid ${proc.pid}) did not die on SIGKILL within 5 s`);
    procs.delete(index);
    saveState();
  };

  let stopped = false;
  const assertNotStopped = (): void => {
    if (stopped) throw new Error(`these NATS servers were stopped and ${dir} removed; start new ones with startNats()`);
  };

  const startNode = async (index: number): Promise<void> => {
    assertNotStopped();
    const node = nodeAt(index);
    if (isRunning(index)) return;
    const deadline = Date.now() + timeoutMs;
    launch(node);
    await waitHealthy(node, deadline, true);
    // With a quorum running, wait until it has caught up with the meta leader and its streams too.
    const runningCount = nodes.filter((n) => isRunning(n.index)).length;
    if (withJetStream && runningCount * 2 > count) await waitHealthy(node, deadline);
  };

  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => stopNode(n.index)));
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopAll();
    unregister();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const started = Date.now();
    const deadline = started + timeoutMs;
    log(`state dir ${dir}, ${serverBin}`);
    await withPortRetry(
      `nats-server x${count}`,
      async () => {
        const ports = await freePorts(count * 3);
        const clusterPorts = nodes.map((_, i) => ports[i * 3 + 2] as number);
        for (const node of nodes) {
          const [client, monitor, cluster] = ports.slice(node.index * 3, node.index * 3 + 3) as [number, number, number];
          node.url = `nats://127.0.0.1:${client}`;
          node.monitorUrl = `http://127.0.0.1:${monitor}`;
          writeFileSync(
            node.configPath,
            serverConfig({
              node,
              client,
              monitor,
              jetstream: withJetStream,
              auth: options.auth,
              tls: options.tls,
              cluster: count > 1 ? { port: cluster, routes: clusterPorts.filter((p) => p !== cluster) } : undefined,
            }),
            { mode: 0o600 },
          );
        }
        for (const node of nodes) rmSync(node.storeDir, { recursive: true, force: true }); // a failed try's
        for (const node of nodes) managed.push(launch(node));
        for (const node of nodes) await waitHealthy(node, deadline, true);
        return { value: undefined };
      },
      managed,
      saveState,
    );
    log(`${count} node(s) accepting clients in ${Date.now() - started} ms: ${nodes.map((n) => n.url).join(' ')}`);
    await waitReady(deadline);
    log(
      `ready in ${Date.now() - started} ms${withJetStream ? ` (JetStream${count > 1 ? `, meta leader ${await metaLeader(nodes[0] as NatsNode)}` : ''})` : ''}`,
    );
    if (persistent) {
      for (const proc of procs.values()) proc.child.unref();
      unregister();
    }
    saveState();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    nodes,
    urls: nodes.map((n) => n.url),
    monitorUrls: nodes.map((n) => n.monitorUrl),
    connectOptions,
    pids: () => [...procs.values()].filter((m) => !m.hasExited()).map((m) => m.pid),
    running: isRunning,
    waitReady: () => waitReady(),
    killNode,
    stopNode,
    startNode,
    stopAll,
    startAll: async () => {
      assertNotStopped();
      const deadline = Date.now() + timeoutMs;
      const stoppedNodes = nodes.filter((n) => !isRunning(n.index));
      for (const node of stoppedNodes) launch(node);
      for (const node of stoppedNodes) await waitHealthy(node, deadline, true);
      await waitReady(deadline);
    },
    stop,
  };
}

/** Kills and removes temp NATS state dirs whose owning process died without cleaning up. */
export function reapStaleNats(log: (message: string) => void = () => undefined): void {
  reapStale(TEMP_PREFIX, 'NATS servers', log);
}

function makeStateDir(given: string | undefined): string {
  if (given === undefined) return mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  const dir = resolve(given);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`state directory ${dir} is not empty`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Creates a stream with `replicas` replicas (needs a meta leader and that many peers), publishes one
 * message and waits for its acknowledgement, then deletes the stream. In a cluster, also checks that
 * every existing stream and consumer has a leader again: after a restart each elects its own, seconds
 * after the meta leader, and until then publishes to it fail.
 */
async function probeJetStream(opts: NodeConnectionOptions, replicas: number): Promise<void> {
  const nc = await connect({ ...opts, timeout: 2_000, reconnect: false, name: 'tas-harness-probe' });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    const name = `TAS_HARNESS_READY_${randomBytes(4).toString('hex').toUpperCase()}`;
    const subject = `tas.harness.ready.${name}`;
    try {
      await jsm.streams.add({ name, subjects: [subject], num_replicas: replicas });
      const ack = await jetstream(nc, { timeout: 5_000 }).publish(subject, 'ready');
      if (ack.stream !== name || ack.seq !== 1) throw new Error(`unexpected ack ${JSON.stringify(ack)}`);
    } finally {
      await jsm.streams.delete(name).catch(() => undefined);
    }
    if (replicas > 1) {
      for await (const stream of jsm.streams.list()) {
        const streamName = stream.config.name;
        if (stream.cluster !== undefined && !stream.cluster.leader) throw new Error(`stream ${streamName} has no leader yet`);
        for await (const consumer of jsm.consumers.list(streamName)) {
          if (consumer.cluster !== undefined && !consumer.cluster.leader) {
            throw new Error(`consumer ${streamName}/${consumer.name} has no leader yet`);
          }
        }
      }
    }
  } finally {
    await nc.close();
  }
}

async function metaLeader(node: NatsNode): Promise<string> {
  try {
    const res = await fetch(`${node.monitorUrl}/jsz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { meta_cluster?: { leader?: string } };
    return body.meta_cluster?.leader ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function authOptions(auth: NatsAuth | undefined): Partial<NodeConnectionOptions> {
  if (auth === undefined) return {};
  return 'token' in auth ? { token: auth.token } : { user: auth.user, pass: auth.password };
}

function validateAuth(auth: NatsAuth | undefined): void {
  if (auth === undefined) return;
  const values = 'token' in auth ? { 'auth.token': auth.token } : { 'auth.user': auth.user, 'auth.password': auth.password };
  for (const [setting, value] of Object.entries(values)) {
    if (typeof value !== 'string' || value === '' || /[\r\n"\\]/.test(value)) {
      throw new Error(`startNats: ${setting} must be a non-empty string without quotes, backslashes or newlines`);
    }
  }
}

function validateTls(tls: NatsTls | undefined): void {
  if (tls === undefined) return;
  const files: Record<string, string | undefined> = {
    'tls.certFile': tls.certFile,
    'tls.keyFile': tls.keyFile,
    'tls.caFile': tls.caFile,
    'tls.clientCert.certFile': tls.clientCert?.certFile,
    'tls.clientCert.keyFile': tls.clientCert?.keyFile,
  };
  for (const [setting, file] of Object.entries(files)) {
    if (file === undefined && setting.startsWith('tls.clientCert') && tls.clientCert === undefined) continue;
    if (file === undefined || !existsSync(file)) throw new Error(`startNats: ${setting} ${String(file)} does not exist`);
  }
}

interface ConfigInput {
  node: NatsNode;
  client: number;
  monitor: number;
  jetstream: boolean;
  auth: NatsAuth | undefined;
  tls: NatsTls | undefined;
  cluster: { port: number; routes: number[] } | undefined;
}

/** One node's nats-server config (strings JSON-quoted, which the config format accepts). */
function serverConfig(c: ConfigInput): string {
  const q = JSON.stringify;
  const lines = [`server_name: ${q(c.node.name)}`, `listen: ${q(`127.0.0.1:${c.client}`)}`, `http: ${q(`127.0.0.1:${c.monitor}`)}`, 'logtime: true'];
  if (c.jetstream) {
    lines.push(
      `jetstream {`,
      `  store_dir: ${q(c.node.storeDir)}`,
      `  max_memory_store: ${MAX_MEMORY_STORE}`,
      `  max_file_store: ${MAX_FILE_STORE}`,
      `}`,
    );
  }
  if (c.auth !== undefined) {
    lines.push(
      'authorization {',
      ...('token' in c.auth ? [`  token: ${q(c.auth.token)}`] : [`  user: ${q(c.auth.user)}`, `  password: ${q(c.auth.password)}`]),
      '}',
    );
  }
  if (c.tls !== undefined) {
    lines.push(
      'tls {',
      `  cert_file: ${q(c.tls.certFile)}`,
      `  key_file: ${q(c.tls.keyFile)}`,
      `  ca_file: ${q(c.tls.caFile)}`,
      `  verify: ${c.tls.clientCert !== undefined}`,
      '  timeout: 5',
      '}',
    );
  }
  if (c.cluster !== undefined) {
    // Routes stay plain TCP on loopback; only clients see auth and TLS.
    lines.push(
      'cluster {',
      `  name: ${q(CLUSTER_NAME)}`,
      `  listen: ${q(`127.0.0.1:${c.cluster.port}`)}`,
      `  routes: [${c.cluster.routes.map((p) => q(`nats-route://127.0.0.1:${p}`)).join(', ')}]`,
      '}',
    );
  }
  return lines.join('\n') + '\n';
}
