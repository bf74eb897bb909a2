// Scenario 5: the operator with 1,000 McpServers applied at once (issue 4). A local control plane
// (etcd + kube-apiserver, the test harness's 'api' profile), the operator as its own process on
// core 0, and the bench applying every McpServer as fast as it can. Measured: time from the
// first apply to steady state, the operator's memory, the API writes it made per server (from
// kube-apiserver's own request counter) and that it writes nothing once steady.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR } from '../../../src/paths.js';
import { installCrds, startControlPlane, type ControlPlane } from '../../harness/index.js';
import { monotonicMicros, sleep } from '../lib/clock.js';
import { benchKube, type BenchKube } from '../lib/kube.js';
import { freePort } from '../../harness/ports.js';
import { CORES, cpuProfileArgs, cpuSeconds, PROJECT_DIST, rssBytes, spawnPinned, stop, tail, waitFor } from '../lib/processes.js';
import { scrape, sumOf, type Sample } from '../lib/prom.js';
import type { Row } from '../lib/report.js';

export interface OperatorOptions {
  servers: number;
  namespaces: number;
  /** Applies in flight at once. */
  concurrency: number;
  /** The operator's WORKERS. */
  workers: number;
  /** Steady means nothing changed for this long. */
  quietSeconds: number;
  /** How long the steady operator is watched for writes. */
  idleSeconds: number;
  timeoutSeconds: number;
}

const GROUP_VERSION = 'mcp.tas.ai/v1alpha1';
/** Verbs that write; kube-apiserver labels server-side apply as APPLY. */
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY']);

/** API writes by "resource[/subresource] VERB", from apiserver_request_total. */
type Writes = Map<string, number>;

function writesOf(samples: Sample[]): Writes {
  const writes: Writes = new Map();
  for (const s of samples) {
    if (s.name !== 'apiserver_request_total' || !WRITE_VERBS.has(s.labels.verb ?? '')) continue;
    const key = `${s.labels.resource}${s.labels.subresource ? `/${s.labels.subresource}` : ''} ${s.labels.verb}`;
    writes.set(key, (writes.get(key) ?? 0) + s.value);
  }
  return writes;
}

function delta(after: Writes, before: Writes): Writes {
  const out: Writes = new Map();
  for (const [key, value] of after) {
    const d = value - (before.get(key) ?? 0);
    if (d > 0) out.set(key, d);
  }
  return out;
}

/** Writes the API server makes itself: Lease heartbeats (the operator runs without leader
 * election here) and the IPAddress objects that allocate each new Service's ClusterIP. */
const API_SERVER_OWN = /^(leases|ipaddresses)[ /]/;

interface Attribution {
  operator: number;
  events: number;
  /** API_SERVER_OWN writes. */
  apiServer: number;
  byKind: string;
}

/** Splits a write delta into the operator's, its Events and the API server's own, after taking
 * out the bench's own applies. */
function attribute(writes: Writes, benchApplies: number): Attribution {
  const result: Attribution = { operator: 0, events: 0, apiServer: 0, byKind: '' };
  const parts: string[] = [];
  for (const [key, raw] of [...writes].sort((a, b) => b[1] - a[1])) {
    const value = key === 'mcpservers APPLY' ? raw - benchApplies : raw;
    if (value <= 0) continue;
    if (API_SERVER_OWN.test(key)) result.apiServer += value;
    else if (key.startsWith('events')) result.events += value;
    else result.operator += value;
    parts.push(`${key} ${value}`);
  }
  result.byKind = parts.join(', ');
  return result;
}

function peakRss(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

interface Manifest {
  namespace: string;
  name: string;
  body: string;
}

/** Servers spread over the namespaces; every 10th peers with a server in the next namespace, so
 * some peers are applied after the server naming them and resolve later. */
function manifests(options: OperatorOptions): Manifest[] {
  const perNamespace = Math.ceil(options.servers / options.namespaces);
  const at = (i: number) => ({
    namespace: `bench-${String(Math.floor(i / perNamespace)).padStart(2, '0')}`,
    name: `s-${String(i % perNamespace).padStart(3, '0')}`,
  });
  return Array.from({ length: options.servers }, (_, i) => {
    const { namespace, name } = at(i);
    const peer = at((i + perNamespace + 1) % options.servers);
    const spec = { replicas: 1, ...(i % 10 === 0 && options.servers > 1 ? { peers: [{ serverRef: peer }] } : {}) };
    return { namespace, name, body: JSON.stringify({ apiVersion: GROUP_VERSION, kind: 'McpServer', metadata: { name, namespace }, spec }) };
  });
}

/** Applies every manifest with `concurrency` in flight; resolves with the requests made. */
async function applyAll(kube: BenchKube, items: Manifest[], concurrency: number): Promise<{ requests: number; failed: string[] }> {
  let next = 0;
  let requests = 0;
  const failed: string[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const path = `/apis/${GROUP_VERSION}/namespaces/${item.namespace}/mcpservers/${item.name}?fieldManager=bench&force=true`;
      for (let attempt = 1; ; attempt++) {
        requests++;
        const res = await kube.request('PATCH', path, item.body, 'application/apply-patch+yaml');
        if (res.status === 200 || res.status === 201) break;
        // 429 / 5xx under load: retry a few times, as kubectl would.
        if (attempt >= 5 || (res.status !== 429 && res.status < 500)) {
          failed.push(`${item.namespace}/${item.name}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
          break;
        }
        await sleep(100 * attempt);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests, failed };
}

interface ServerList {
  items: { metadata: { generation?: number; resourceVersion: string }; status?: { observedGeneration?: number; configHash?: string } }[];
}

async function startOperator(kubeconfigPath: string, workers: number): Promise<{ child: ChildProcess; metricsUrl: string; output: () => string }> {
  const port = await freePort();
  const child = spawnPinned(process.execPath, [...cpuProfileArgs('operator'), join(PROJECT_DIST, 'operator/main.js')], {
    core: CORES.server,
    env: {
      KUBECONFIG: kubeconfigPath,
      LEADER_ELECT: 'false',
      HEALTH_PORT: String(port),
      BIND_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WORKERS: String(workers),
    },
  });
  const output = tail(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  // /readyz answers 200 once the informers' caches are in.
  await waitFor(
    'the operator to be ready',
    async () => {
      if (exited) throw new Error(`operator exited during startup:\n${output()}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
    },
    30_000,
    100,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${output()}`);
  });
  return { child, metricsUrl: `http://127.0.0.1:${port}/metrics`, output };
}

export async function operatorScale(options: OperatorOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  let plane: ControlPlane | undefined;
  let operator: { child: ChildProcess; metricsUrl: string; output: () => string } | undefined;
  let kube: BenchKube | undefined;
  try {
    plane = await startControlPlane({ profile: 'api' });
    await installCrds(plane.kubeconfigPath, CRD_DIR);
    kube = await benchKube(plane.kubeconfigPath, options.concurrency + 4);
    const items = manifests(options);
    for (const namespace of new Set(items.map((i) => i.namespace))) {
      const res = await kube.request('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: namespace } }));
      if (res.status !== 201) throw new Error(`creating namespace ${namespace}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    }
    operator = await startOperator(plane.kubeconfigPath, options.workers);
    const pid = operator.child.pid!;
    const rssBefore = rssBytes(pid);
    log(`  control plane ${plane.server}; operator pid ${pid} ready, RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB`);

    // The control plane is not pinned (it is not what is measured); its CPU tells whether the
    // API server, not the operator, set the pace.
    const planePids = plane.processes.map((p) => p.pid);
    const planeCpu = () => planePids.reduce((sum, p) => sum + cpuSeconds(p), 0);
    const writesBefore = writesOf(await kube.metrics());
    const cpuBefore = cpuSeconds(pid);
    const planeCpuBefore = planeCpu();
    const reconcilesBefore = sumOf(await scrape(operator.metricsUrl), 'controller_runtime_reconcile_total', (l) => l.controller === 'mcpserver');
    const started = monotonicMicros();
    let appliedAt: number | undefined;
    const applying = applyAll(kube, items, options.concurrency).then((result) => {
      appliedAt = monotonicMicros();
      return result;
    });

    // Steady: every server observed at its generation with a configHash, the queue empty and
    // idle, and no McpServer changed for quietSeconds.
    let fingerprint = '';
    let quietSince: number | undefined;
    let lastLog = started;
    let steadyAt: number | undefined;
    let done = 0;
    let depth = NaN;
    let rssPeakSeen = rssBefore;
    for (;;) {
      const now = monotonicMicros();
      if (now - started > options.timeoutSeconds * 1e6) break;
      const list = await kube.getJson<ServerList>(`/apis/${GROUP_VERSION}/mcpservers`);
      const metrics = await scrape(operator.metricsUrl);
      rssPeakSeen = Math.max(rssPeakSeen, rssBytes(pid));
      done = list.items.filter((s) => s.status?.observedGeneration === (s.metadata.generation ?? 1) && s.status?.configHash).length;
      depth = sumOf(metrics, 'workqueue_depth', (l) => l.name === 'mcpserver');
      const busy = sumOf(metrics, 'workqueue_unfinished_work', (l) => l.name === 'mcpserver');
      const print = list.items.map((s) => s.metadata.resourceVersion).join(',');
      if (appliedAt !== undefined && done === options.servers && depth === 0 && busy === 0) {
        if (print !== fingerprint || quietSince === undefined) quietSince = now;
        if (now - quietSince >= options.quietSeconds * 1e6) {
          steadyAt = quietSince;
          break;
        }
      } else {
        quietSince = undefined;
      }
      fingerprint = print;
      if (now - lastLog > 5e6) {
        lastLog = now;
        log(
          `  ${((now - started) / 1e6).toFixed(0)} s: ${list.items.length} applied, ${done} observed, queue depth ${depth}, RSS ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`,
        );
      }
      await sleep(500);
    }
    const applied = await applying;
    if (applied.failed.length > 0) throw new Error(`${applied.failed.length} applies failed, e.g. ${applied.failed[0]}`);
    const applySeconds = ((appliedAt ?? started) - started) / 1e6;
    const convergeSeconds = steadyAt === undefined ? NaN : (steadyAt - started) / 1e6;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const cpuPlane = planeCpu() - planeCpuBefore;
    const reconciles =
      sumOf(await scrape(operator.metricsUrl), 'controller_runtime_reconcile_total', (l) => l.controller === 'mcpserver') - reconcilesBefore;
    const rssSteady = rssBytes(pid);
    const rssPeak = Math.max(peakRss(pid), rssPeakSeen);
    const writesSteady = writesOf(await kube.metrics());
    const converge = attribute(delta(writesSteady, writesBefore), applied.requests);
    log(
      `  ${steadyAt === undefined ? `NOT steady after ${options.timeoutSeconds} s (${done}/${options.servers} observed, depth ${depth})` : `steady ${convergeSeconds.toFixed(1)} s after the first apply`} ` +
        `(applies took ${applySeconds.toFixed(1)} s, ${applied.requests} requests); CPU operator ${cpu.toFixed(1)} s, etcd + kube-apiserver ${cpuPlane.toFixed(1)} s; ${reconciles} reconciles; ` +
        `writes: ${converge.byKind}`,
    );

    // Steady state must be quiet: no writes at all while nothing changes (Leases are the API
    // server's own heartbeats, not the operator's).
    const idleBefore = writesOf(await kube.metrics());
    await sleep(options.idleSeconds * 1000);
    const idle = attribute(delta(writesOf(await kube.metrics()), idleBefore), 0);
    log(
      `  idle ${options.idleSeconds} s: ${idle.operator} writes, ${idle.events} Events (${idle.byKind || 'none'}), RSS ${(rssBytes(pid) / 2 ** 20).toFixed(0)} MiB`,
    );

    const scenario = `operator x${options.servers}`;
    const perServer = converge.operator / options.servers;
    const rows: Row[] = [
      {
        scenario,
        metric: 'time to steady state',
        value: convergeSeconds,
        unit: 's',
        baseline: `${applySeconds.toFixed(1)} s applying`,
        target: Number.isFinite(convergeSeconds)
          ? `${(options.servers / convergeSeconds).toFixed(0)} servers/s`
          : `timeout ${options.timeoutSeconds} s`,
        verdict: steadyAt === undefined ? 'FAIL' : 'info',
        note:
          `first apply to: all ${options.servers} with status.observedGeneration = generation and configHash, workqueue_depth{name="mcpserver"} 0 and none changed for ${options.quietSeconds} s ` +
          `(polled every 0.5 s); ${options.concurrency} applies in flight, WORKERS=${options.workers}; ${reconciles} reconciles (${(reconciles / options.servers).toFixed(2)} per server); ` +
          `CPU operator ${cpu.toFixed(1)} s (${((100 * cpu) / convergeSeconds).toFixed(0)}% of a core), etcd + kube-apiserver ${cpuPlane.toFixed(1)} s`,
      },
      {
        scenario,
        metric: 'operator peak RSS',
        value: rssPeak / 2 ** 20,
        unit: 'MiB',
        baseline: rssBefore / 2 ** 20,
        target: `+${((rssPeak - rssBefore) / 1024 / options.servers).toFixed(0)} KiB per server`,
        verdict: 'info',
        note: `VmHWM; baseline = RSS with caches synced and no McpServers`,
      },
      {
        scenario,
        metric: 'operator RSS at steady state',
        value: rssSteady / 2 ** 20,
        unit: 'MiB',
        baseline: rssBefore / 2 ** 20,
        target: `+${((rssSteady - rssBefore) / 1024 / options.servers).toFixed(0)} KiB per server`,
        verdict: 'info',
      },
      {
        scenario,
        metric: 'API writes per server',
        value: perServer,
        baseline: `${converge.operator} writes`,
        verdict: 'info',
        note:
          `kube-apiserver apiserver_request_total, verbs ${[...WRITE_VERBS].join('/')}, first apply to steady state, less the bench's ${applied.requests} applies, ` +
          `Events and the API server's own ${converge.apiServer} (Leases, Service ClusterIP IPAddresses); by resource: ${converge.byKind}`,
      },
      {
        scenario,
        metric: 'Events written',
        value: converge.events,
        baseline: `${(converge.events / options.servers).toFixed(2)} per server`,
        verdict: 'info',
        note: `events.k8s.io Events the operator recorded on condition transitions, first apply to steady state (EVENTS_QPS/EVENTS_BURST budget); not in the writes per server`,
      },
      {
        scenario,
        metric: `writes in ${options.idleSeconds} s at steady state`,
        value: idle.operator,
        baseline: 0,
        target: '= 0',
        verdict: idle.operator === 0 ? 'PASS' : 'FAIL',
        note: `Events and the API server's own writes not counted (${idle.byKind || 'no writes at all'})`,
      },
      {
        scenario,
        metric: `Events written in ${options.idleSeconds} s at steady state`,
        value: idle.events,
        unit: 'Events',
        baseline: 0,
        target: `${(idle.events / options.idleSeconds).toFixed(1)}/s`,
        verdict: 'info',
        note: `the recorder still draining the Events of the convergence at its qps budget, when non-zero`,
      },
    ];
    return {
      rows,
      raw: {
        options,
        applySeconds,
        convergeSeconds,
        applyRequests: applied.requests,
        reconciles,
        operatorCpuSeconds: cpu,
        rssBefore,
        rssPeak,
        rssSteady,
        writes: Object.fromEntries(delta(writesSteady, writesBefore)),
        idleWrites: idle,
      },
    };
  } catch (error) {
    if (operator) log(`  operator output:\n${operator.output()}`);
    throw error;
  } finally {
    kube?.close();
    if (operator) await stop(operator.child, 10_000);
    await plane?.stop();
  }
}
