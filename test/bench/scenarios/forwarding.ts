// Scenario 4: gateway-to-gateway forwarding (issues 5 and 12), over HTTP, gRPC and HTTPS (TLS with
// a CA of its own). Three parts:
//  - latency: a paced producer sends to gateway A, which forwards every event to gateway B; one
//    StreamEvents subscriber on B measures send-to-receive time. The baseline is the same
//    subscriber on a gateway without forwarding (local fan-out), measured right before.
//  - throughput: A forwards to three peers while a producer floods it for a few seconds; from
//    A's own /metrics, how many events each peer got per second against what A ingested, and
//    whether every event arrived once the queues drained.
//  - the HTTP client: the gateway's (undici's Pool) against node:http's keep-alive Agent, single
//    small requests to a bare fastify: client CPU per request, rate and latency.
// All gateways share core 0 (so forwarding's cost competes with ingest, as it would on one
// node); the producer, subscribers and the client probe run on core 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { monotonicMicros, sleep } from '../lib/clock.js';
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { describeLoad, machineWindow } from '../lib/machine.js';
import { freePorts } from '../../harness/ports.js';
import { issue, makeCa } from '../../e2e/support/pki.js';
import { request } from '../lib/messages.js';
import { CORES, cpuSeconds, rssBytes, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import { scrape, sumOf, type Sample } from '../lib/prom.js';
import type { Row } from '../lib/report.js';
import { Histogram, median } from '../lib/stats.js';
import { startBatchProducer, startSubscribers, type BatchProducerWorker, type StreamServer } from '../lib/workers.js';
import type { HttpClientProbeReport } from '../workers/http-client-probe.js';
import { waitForDelivery } from './grpc-fanout.js';

/** How A reaches its peers. */
export type Transport = 'http' | 'grpc' | 'https';

export interface ForwardingOptions {
  /** Offered rates of the HTTP latency part (each against the local baseline and A->B). */
  rates: number[];
  /** The rate the p99 target applies to (also the rate of the gRPC and HTTPS latency runs), and the target. */
  rate: number;
  targetP99Ms: number;
  latencySeconds: number;
  /** Seconds at the measured rate before each latency run is measured, at least. */
  warmSeconds: number;
  /** Warm-up goes on in one-second slices until the gateways' CPU settles, for at most this long. */
  maxWarmSeconds: number;
  /** Latency windows per rate and transport, local and forwarded alternating; the rows give the median p99. */
  windows: number;
  /** Most events per batch request in the paced part (one request per ~1 ms tick). */
  maxBatch: number;
  transports: Transport[];
  peers: number;
  floodSeconds: number;
  floodBatch: number;
  floodConcurrency: number;
  /** Longest wait for A's forwarding queues to empty after the flood. */
  drainSeconds: number;
  /** Flood forwarded/ingested per peer at least this (issue 12: 0.9). */
  targetRatio: number;
  /** Requests per client per round of the HTTP client comparison (0 skips it). */
  clientRequests: number;
}

/** Settings every gateway here shares: no replay history (it is not measured and costs memory),
 * queues large enough that nothing is cut off or dead-lettered for lack of room. */
const COMMON_ENV = {
  HISTORY_SIZE: '0',
  LOG_LEVEL: 'warn',
  SUBSCRIBER_QUEUE_SIZE: '1000000',
  BUFFER_SIZE: '100000',
};

/** A CA and a server certificate for 127.0.0.1, made with openssl for this run. */
interface Pki {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-bench-tls-'));
  const ca = makeCa(dir, 'bench-ca');
  issue(dir, ca, 'peer', 'server');
  return { dir, caFile: join(dir, 'bench-ca.crt'), certFile: join(dir, 'peer.crt'), keyFile: join(dir, 'peer.key') };
}

/** A gateway whose GATEWAY_ID is 127.0.0.1:<http port>; with `pki`, its HTTP and gRPC servers speak TLS. */
async function peerGateway(pki?: Pki, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const ports = (await freePorts(3)) as [number, number, number];
  const tls: Record<string, string> = pki ? { TLS_CERT_FILE: pki.certFile, TLS_KEY_FILE: pki.keyFile } : {};
  return startGateway({ ports, env: { ...COMMON_ENV, GATEWAY_ID: `127.0.0.1:${ports[0]}`, ...tls, ...env } });
}

/** How A names a peer over a transport: the URL, and the id it counts the peer's events under. */
function targetOf(peer: GatewayProcess, transport: Transport, pki: Pki): { url: string; id: string; tls?: { caFile: string } } {
  switch (transport) {
    case 'http':
      return { url: `http://127.0.0.1:${peer.http}`, id: `127.0.0.1:${peer.http}` };
    case 'grpc':
      return { url: `grpc://127.0.0.1:${peer.grpc}`, id: `127.0.0.1:${peer.http}` };
    case 'https':
      return { url: `https://127.0.0.1:${peer.http}`, id: `127.0.0.1:${peer.http}`, tls: { caFile: pki.caFile } };
  }
}

/** A gateway forwarding to `peers` over `transport` (targets in a config file: TLS settings have no variables). */
async function forwarder(peers: GatewayProcess[], transport: Transport, pki: Pki, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const file = join(pki.dir, `forwarder-${transport}-${peers.map((p) => p.http).join('-')}.yaml`);
  writeFileSync(file, stringify({ forwarding: { targets: peers.map((peer) => targetOf(peer, transport, pki)) } }));
  return peerGateway(undefined, { CONFIG_FILE: file, ...env });
}

const batchUrl = (gateway: GatewayProcess) => `http://127.0.0.1:${gateway.http}/api/v1/events/batch`;
const metricsOf = (gateway: GatewayProcess) => scrape(`http://127.0.0.1:${gateway.health}/metrics`);

/** Streams a gateway counts, from its /metrics on the (plain) health port: works whether its gRPC speaks TLS or not. */
function streamServer(gateway: GatewayProcess): StreamServer {
  return {
    grpc: gateway.grpc,
    activeStreams: async () => sumOf(await metricsOf(gateway), 'tas_mcp_active_connections', (l) => l.type === 'grpc_stream'),
  };
}

interface TargetCounts {
  accepted: number;
  delivered: number;
  deadLettered: number;
  inFlight: number;
  requests: number;
}

function targetCounts(samples: Sample[], target: string): TargetCounts {
  const events = (outcome: string) => sumOf(samples, 'tas_mcp_forward_events_total', (l) => l.target === target && l.outcome === outcome);
  return {
    accepted: events('accepted'),
    delivered: events('delivered'),
    deadLettered: events('dead_lettered'),
    inFlight: sumOf(samples, 'tas_mcp_forward_in_flight', (l) => l.target === target),
    requests: sumOf(samples, 'tas_mcp_forward_batch_events_count', (l) => l.target === target),
  };
}

interface LatencyResult {
  rate: number;
  label: string;
  sent: number;
  ok: number;
  received: number;
  p50: number;
  p99: number;
  max: number;
  cpu: Record<string, number>;
  machine: string;
  refusal?: string;
  /** A's counts for B (forwarding run only). */
  forward?: TargetCounts;
  /** Full (mark-compact) collections during the measured window, per gateway: each pauses it for
   * a few ms on the shared core and leaves a backlog, which shows in the window's p99. */
  fullGcs: Record<string, { count: number; ms: number }>;
}

/** A gateway's full collections so far (prom-client's GC histogram, kind="major"). */
async function fullGcsOf(gateway: GatewayProcess): Promise<{ count: number; ms: number }> {
  const samples = await metricsOf(gateway);
  const major = (labels: Record<string, string>) => labels.kind === 'major';
  return {
    count: sumOf(samples, 'tas_mcp_nodejs_gc_duration_seconds_count', major),
    ms: 1000 * sumOf(samples, 'tas_mcp_nodejs_gc_duration_seconds_sum', major),
  };
}

function fullGcText(fullGcs: LatencyResult['fullGcs']): string {
  return Object.entries(fullGcs)
    .map(([n, { count, ms }]) => `${n} ${count} (${ms.toFixed(1)} ms)`)
    .join(', ');
}

/** One paced run against `ingest`, received by one subscriber on `receiver`. */
async function latencyRun(
  rate: number,
  label: string,
  ingest: GatewayProcess,
  receiver: GatewayProcess,
  producer: BatchProducerWorker,
  options: ForwardingOptions,
  log: (line: string) => void,
  receiverTls?: { caFile: string; target: string },
): Promise<LatencyResult> {
  const subscriber = await startSubscribers(streamServer(receiver), 1, 1, receiverTls ? { BENCH_SUBSCRIBER_CA_FILE: receiverTls.caFile } : undefined);
  try {
    const pids: Record<string, number> = { ingest: ingest.pid, producer: producer.child.pid!, subscriber: subscriber.child.pid! };
    if (receiver !== ingest) pids.receiver = receiver.pid;
    const warmUp = await warm(rate, ingest, receiver, producer, options);
    await waitForDelivery(subscriber, warmUp.ok);
    await subscriber.reset();
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    const gateways = receiver === ingest ? { ingest } : { ingest, receiver };
    const gcsOf = async () => Object.fromEntries(await Promise.all(Object.entries(gateways).map(async ([n, g]) => [n, await fullGcsOf(g)] as const)));
    const gcBefore = await gcsOf();
    const machine = machineWindow();
    const started = monotonicMicros();
    const sent = await producer.paced(batchUrl(ingest), rate, options.latencySeconds * 1000, options.maxBatch);
    const { report } = await waitForDelivery(subscriber, sent.ok);
    const window = (monotonicMicros() - started) / 1e6;
    const used = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid) - cpuBefore[n]!]));
    const gcAfter = await gcsOf();
    const fullGcs = Object.fromEntries(
      Object.entries(gcAfter).map(([n, after]) => [n, { count: after.count - gcBefore[n]!.count, ms: after.ms - gcBefore[n]!.ms }]),
    );
    const load = machine(Object.values(used).reduce((a, b) => a + b, 0));
    const latency = new Histogram();
    latency.merge(report.latency);
    const result: LatencyResult = {
      rate,
      label,
      sent: sent.sent,
      ok: sent.ok,
      received: report.received,
      p50: latency.percentile(0.5) / 1000,
      p99: latency.percentile(0.99) / 1000,
      max: latency.max / 1000,
      cpu: Object.fromEntries(Object.entries(used).map(([n, s]) => [n, s / window])),
      machine: describeLoad(load),
      refusal: sent.errorSamples[0],
      fullGcs,
    };
    if (receiver !== ingest) result.forward = targetCounts(await metricsOf(ingest), receiverTls?.target ?? `127.0.0.1:${receiver.http}`);
    log(
      `  ${label} @ ${rate} ev/s, after ${warmUp.seconds} s of warm-up (gateways' CPU per second ${warmUp.cpu.map((c) => `${(100 * c).toFixed(0)}%`).join(' ')}): ` +
        `${report.received}/${sent.ok} received (${sent.failed} refused), p50 ${result.p50.toFixed(2)} ms ` +
        `p99 ${result.p99.toFixed(2)} ms max ${result.max.toFixed(1)} ms; CPU ${cpuText(result.cpu)}; full GCs ${fullGcText(fullGcs)}; ${result.machine}` +
        (result.forward
          ? `; ${result.forward.requests} forwarding requests (${(result.forward.delivered / Math.max(1, result.forward.requests)).toFixed(1)} events each)`
          : ''),
    );
    return result;
  } finally {
    await subscriber.close();
  }
}

/**
 * Warm-up at the measured rate, one second at a time, until the gateways' CPU per second settles
 * (within 10% of the second before), after at least `warmSeconds` and at most `maxWarmSeconds`. A
 * new pair at 5,000 ev/s took ~6 s to settle (A 64, 56, 46, 36, 38, 35, then 31-34% per second; B
 * from 37-42% to 25%: JIT, young-generation sizing, the dedupe window's first growths) with tails
 * of 100-600 ms in its first second: start-up, not the steady state this compares. The minimum
 * matters: in its first seconds the pair saturates the core (91-98% per second), which looks
 * settled too.
 */
async function warm(
  rate: number,
  ingest: GatewayProcess,
  receiver: GatewayProcess,
  producer: BatchProducerWorker,
  options: ForwardingOptions,
): Promise<{ ok: number; seconds: number; cpu: number[] }> {
  const gateways = receiver === ingest ? [ingest] : [ingest, receiver];
  const used = () => gateways.reduce((sum, g) => sum + cpuSeconds(g.pid), 0);
  const cpu: number[] = [];
  let ok = 0;
  for (let second = 1; second <= options.maxWarmSeconds; second++) {
    const before = used();
    const started = monotonicMicros();
    ok += (await producer.paced(batchUrl(ingest), rate, 1000, options.maxBatch)).ok;
    cpu.push((used() - before) / ((monotonicMicros() - started) / 1e6));
    const [previous, last] = cpu.slice(-2);
    if (second >= options.warmSeconds && previous !== undefined && Math.abs(last! - previous) <= 0.1 * previous) break;
  }
  return { ok, seconds: cpu.length, cpu };
}

function cpuText(cpu: Record<string, number>): string {
  return Object.entries(cpu)
    .map(([n, c]) => `${n} ${(100 * c).toFixed(0)}%`)
    .join(', ');
}

interface PeerResult {
  target: string;
  /** Delivered while the producer ran, per second of it. */
  windowRate: number;
  /** Delivered per second after the producer stopped, until drained or the wait ended. */
  drainRate: number;
  delivered: number;
  deadLettered: number;
  inFlight: number;
  /** Events per forwarding request during the flood. */
  perRequest: number;
}

interface ThroughputResult {
  transport: Transport;
  ingested: number;
  ingestRate: number;
  refused: number;
  refusal?: string;
  seconds: number;
  drainSeconds: number;
  drained: boolean;
  peers: PeerResult[];
  cpu: Record<string, number>;
  machine: string;
  /** A's RSS when the flood ended. */
  rssAtEnd: number;
}

async function throughputRun(transport: Transport, pki: Pki, options: ForwardingOptions, log: (line: string) => void): Promise<ThroughputResult> {
  const gateways: GatewayProcess[] = [];
  const producer = startBatchProducer();
  try {
    for (let i = 0; i < options.peers; i++) gateways.push(await peerGateway(transport === 'https' ? pki : undefined));
    const peers = [...gateways];
    // Forwarding queues and dedupe window as shipped: a peer that falls behind slows A's ingest
    // (the producer's requests wait for room) rather than losing events to a full queue.
    const a = await forwarder(peers, transport, pki, {
      // Whatever is still queued at the end is not measured: do not wait the default 10 s on it.
      SHUTDOWN_GRACE_PERIOD: '1s',
    });
    gateways.push(a);
    const targets = peers.map((p) => targetOf(p, transport, pki).id);
    const warm = await producer.paced(batchUrl(a), 500, 1000, options.maxBatch);
    await waitInFlight(a, 10_000);
    const before = await metricsOf(a);
    const peerCpu = () => peers.reduce((sum, p) => sum + cpuSeconds(p.pid), 0);
    const producerPid = producer.child.pid!;
    const cpuBefore = { a: cpuSeconds(a.pid), peers: peerCpu(), producer: cpuSeconds(producerPid) };
    const machine = machineWindow();
    const sent = await producer.flood(batchUrl(a), options.floodSeconds * 1000, options.floodBatch, options.floodConcurrency);
    const seconds = sent.elapsedMs / 1000;
    const atEnd = await metricsOf(a);
    const rssAtEnd = rssBytes(a.pid);
    const used = { a: cpuSeconds(a.pid) - cpuBefore.a, peers: peerCpu() - cpuBefore.peers, producer: cpuSeconds(producerPid) - cpuBefore.producer };
    const load = machine(used.a + used.peers + used.producer);
    const drainStarted = monotonicMicros();
    const drained = await waitInFlight(a, options.drainSeconds * 1000);
    const drainSeconds = (monotonicMicros() - drainStarted) / 1e6;
    const after = await metricsOf(a);
    const result: ThroughputResult = {
      transport,
      ingested: sent.ok,
      ingestRate: sent.ok / seconds,
      refused: sent.failed,
      refusal: sent.errorSamples[0],
      seconds,
      drainSeconds,
      drained,
      peers: targets.map((target) => {
        const b = targetCounts(before, target);
        const e = targetCounts(atEnd, target);
        const f = targetCounts(after, target);
        return {
          target,
          windowRate: (e.delivered - b.delivered) / seconds,
          drainRate: (f.delivered - e.delivered) / drainSeconds,
          delivered: f.delivered - b.delivered,
          deadLettered: f.deadLettered - b.deadLettered,
          inFlight: f.inFlight,
          perRequest: (e.delivered - b.delivered) / Math.max(1, e.requests - b.requests),
        };
      }),
      cpu: { a: used.a / seconds, peers: used.peers / seconds, producer: used.producer / seconds },
      machine: describeLoad(load),
      rssAtEnd,
    };
    log(
      `  ${transport} flood ${seconds.toFixed(1)} s into A (warm-up ${warm.ok}): ${sent.ok} ingested (${result.ingestRate.toFixed(0)}/s, ${sent.failed} refused); ` +
        `forwarded during the flood ${result.peers.map((p) => `${p.windowRate.toFixed(0)}/s`).join(', ')} (${result.peers.map((p) => p.perRequest.toFixed(0)).join(', ')} events per request); ` +
        `${drained ? 'drained' : 'NOT drained'} ${drainSeconds.toFixed(1)} s after; delivered ${result.peers.map((p) => p.delivered).join(', ')}, ` +
        `dead-lettered ${result.peers.map((p) => p.deadLettered).join(', ')}; CPU ${cpuText(result.cpu)}; ${result.machine}`,
    );
    return result;
  } finally {
    await producer.close();
    for (const gateway of gateways.reverse()) await gateway.stop();
  }
}

/** Waits until A holds nothing for any target (tas_mcp_forward_in_flight all 0). */
async function waitInFlight(a: GatewayProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held = sumOf(await metricsOf(a), 'tas_mcp_forward_in_flight');
    if (held === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

interface ClientComparison {
  rounds: { undici: HttpClientProbeReport; node: HttpClientProbeReport }[];
}

/** The gateway's HTTP client against node:http, alternating, on the client core, against a bare fastify on the server core. */
async function clientComparison(options: ForwardingOptions, log: (line: string) => void): Promise<ClientComparison> {
  const [port] = (await freePorts(1)) as [number];
  const server = spawnNodeWorker('fixtures/bare-fastify.js', CORES.server, { PORT: String(port) });
  const probe = spawnNodeWorker('workers/http-client-probe.js', CORES.client);
  try {
    const url = `http://127.0.0.1:${port}/api/v1/events`;
    await waitFor(
      'the bare fastify to listen',
      async () =>
        (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => undefined))?.status === 200,
      15_000,
    );
    const rounds: ClientComparison['rounds'] = [];
    for (let round = 0; round < 3; round++) {
      const undici = await request<HttpClientProbeReport>(
        probe,
        { cmd: 'run', client: 'undici', url, requests: options.clientRequests, concurrency: 16 },
        300_000,
      );
      const node = await request<HttpClientProbeReport>(
        probe,
        { cmd: 'run', client: 'node:http', url, requests: options.clientRequests, concurrency: 16 },
        300_000,
      );
      rounds.push({ undici, node });
      log(`  HTTP client round ${round + 1}: ${clientText(undici)}; ${clientText(node)}`);
    }
    return { rounds };
  } finally {
    await stop(probe, 3000);
    await stop(server, 3000);
  }
}

const perRequestUs = (r: HttpClientProbeReport) => (1e6 * r.cpuSeconds) / r.requests;
const percentileMs = (r: HttpClientProbeReport, p: number) => {
  const h = new Histogram();
  h.merge(r.latency);
  return h.percentile(p) / 1000;
};
function clientText(r: HttpClientProbeReport): string {
  return `${r.client} ${perRequestUs(r).toFixed(1)} µs CPU per request, ${(r.requests / r.seconds).toFixed(0)} req/s, p50 ${percentileMs(r, 0.5).toFixed(2)} ms, p99 ${percentileMs(r, 0.99).toFixed(2)} ms${r.failed ? `, ${r.failed} failed` : ''}`;
}
/** The window whose p99 is the median (the middle of an odd count, as stats.ts's median takes it). */
const medianByP99 = (results: LatencyResult[]) => [...results].sort((a, b) => a.p99 - b.p99)[Math.ceil(results.length / 2) - 1]!;
/** Minimum warm-up before a window after the first (the pair is warm; the CPU must still be steady). */
const REWARM_SECONDS = 2;

export async function forwarding(options: ForwardingOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const pki = makePki();
  try {
    return await measure(options, pki, log);
  } finally {
    rmSync(pki.dir, { recursive: true, force: true });
  }
}

async function measure(options: ForwardingOptions, pki: Pki, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  // Latency: the local baseline and the forwarding pair run side by side (each idle while the
  // other is measured), each rate back to back, with one producer.
  const producer = startBatchProducer();
  const started: GatewayProcess[] = [];
  const pairs: { transport: Transport; windows: { local: LatencyResult; forwarded: LatencyResult }[] }[] = [];
  try {
    const alone = await peerGateway();
    started.push(alone);
    for (const transport of options.transports) {
      const tls = transport === 'https' ? pki : undefined;
      const b = await peerGateway(tls);
      started.push(b);
      const a = await forwarder([b], transport, pki, { FORWARD_QUEUE_SIZE: '1000000' });
      started.push(a);
      const target = targetOf(b, transport, pki).id;
      for (const rate of transport === 'http' ? options.rates : [options.rate]) {
        // Several windows, local and forwarded alternating: one 5-second window's p99 swings with
        // whatever else the shared machine does (the local baseline alone has read 1.5 and 19.7 ms
        // in one run), so the rows give the median window and list them all.
        const windows: { local: LatencyResult; forwarded: LatencyResult }[] = [];
        for (let w = 1; w <= options.windows; w++) {
          // Already warm after the first window: the warm-up only checks that the CPU is steady.
          const windowOptions = w === 1 ? options : { ...options, warmSeconds: REWARM_SECONDS };
          const of = options.windows > 1 ? ` (window ${w}/${options.windows})` : '';
          const local = await latencyRun(rate, `local fan-out (no forwarding)${of}`, alone, alone, producer, windowOptions, log);
          const forwarded = await latencyRun(
            rate,
            `A -> B forwarded over ${transport}${of}`,
            a,
            b,
            producer,
            windowOptions,
            log,
            tls ? { caFile: pki.caFile, target } : undefined,
          );
          windows.push({ local, forwarded });
        }
        pairs.push({ transport, windows });
      }
    }
  } finally {
    await producer.close();
    for (const gateway of started.reverse()) await gateway.stop();
  }
  const floods: ThroughputResult[] = [];
  for (const transport of options.transports) floods.push(await throughputRun(transport, pki, options, log));
  const clients = options.clientRequests > 0 ? await clientComparison(options, log) : undefined;

  const scenario = 'forwarding';
  const rows: Row[] = [];
  for (const { transport, windows } of pairs) {
    const local = medianByP99(windows.map((w) => w.local));
    const forwarded = medianByP99(windows.map((w) => w.forwarded));
    const complete = windows.every(({ forwarded: f }) => f.received === f.ok && f.ok === f.sent);
    const perWindow =
      windows.length > 1
        ? `p99 per window: A->B ${windows.map((w) => w.forwarded.p99.toFixed(2)).join(' / ')} ms, local ${windows.map((w) => w.local.p99.toFixed(2)).join(' / ')} ms (the median window of each is reported); `
        : '';
    const atTarget = forwarded.rate === options.rate;
    rows.push(
      {
        scenario,
        metric: `latency p99 @ ${forwarded.rate} ev/s (A->B, ${transport})`,
        value: forwarded.p99,
        unit: 'ms',
        baseline: local.p99,
        target: `${atTarget ? `< ${options.targetP99Ms} ms; ` : ''}${(forwarded.p99 / local.p99).toFixed(1)}x local`,
        verdict: atTarget ? (forwarded.p99 < options.targetP99Ms && complete ? 'PASS' : 'FAIL') : 'info',
        note:
          `ingest at A to StreamEvents on B over ${transport}; baseline = the same subscriber on a gateway without forwarding. ${perWindow}` +
          `A->B p50 ${forwarded.p50.toFixed(2)} ms, p99 ${forwarded.p99.toFixed(2)} ms, max ${forwarded.max.toFixed(1)} ms; ` +
          `local p50 ${local.p50.toFixed(2)} ms, p99 ${local.p99.toFixed(2)} ms, max ${local.max.toFixed(1)} ms; ` +
          `CPU ${cpuText(forwarded.cpu)} (local: ${cpuText(local.cpu)}); full GCs in the window ${fullGcText(forwarded.fullGcs)} ` +
          `(local: ${fullGcText(local.fullGcs)}); ${forwarded.machine}`,
      },
      {
        scenario,
        metric: `latency p50 @ ${forwarded.rate} ev/s (A->B, ${transport})`,
        value: forwarded.p50,
        unit: 'ms',
        baseline: local.p50,
        target: `${(forwarded.p50 / local.p50).toFixed(1)}x local`,
        verdict: 'info',
      },
      {
        scenario,
        metric: `received on B @ ${forwarded.rate} ev/s (${transport})`,
        value: `${forwarded.received}/${forwarded.sent}`,
        baseline: `${local.received}/${local.sent} local`,
        target: `${(forwarded.received / forwarded.sent).toFixed(4)}x sent`,
        verdict: complete ? 'PASS' : 'FAIL',
        note:
          `${forwarded.sent - forwarded.ok} refused at A${forwarded.refusal ? ` (${forwarded.refusal})` : ''}` +
          (forwarded.forward
            ? `; A's counts for B so far: accepted ${forwarded.forward.accepted}, delivered ${forwarded.forward.delivered}, dead-lettered ${forwarded.forward.deadLettered}, in ${forwarded.forward.requests} requests`
            : ''),
      },
    );
  }
  for (const flood of floods) {
    const { transport } = flood;
    rows.push({
      scenario,
      metric: `ingested at A, forwarding to ${options.peers} (${transport})`,
      value: flood.ingestRate,
      unit: 'ev/s',
      verdict: flood.refused === 0 ? 'info' : 'FAIL',
      note:
        `${flood.ingested} events in ${flood.seconds.toFixed(1)} s, batches of ${options.floodBatch}, ${options.floodConcurrency} in flight; ` +
        `${flood.refused} refused${flood.refusal ? ` (${flood.refusal})` : ''}; A's RSS at the end ${(flood.rssAtEnd / 2 ** 20).toFixed(0)} MiB; CPU ${cpuText(flood.cpu)} (peers summed); ${flood.machine}`,
    });
    flood.peers.forEach((peer, i) => {
      const ratio = peer.windowRate / flood.ingestRate;
      rows.push({
        scenario,
        metric: `forwarded to peer ${i + 1} during the flood (${transport})`,
        value: peer.windowRate,
        unit: 'ev/s',
        baseline: flood.ingestRate,
        target: `>= ${options.targetRatio}; ${ratio.toFixed(2)}x ingested`,
        verdict: ratio >= options.targetRatio ? 'PASS' : 'FAIL',
        note:
          `target ${peer.target}: delivered during the ${flood.seconds.toFixed(1)} s of the flood against A's ingest rate over the same time, ` +
          `${peer.perRequest.toFixed(0)} events per request; ${peer.drainRate.toFixed(0)}/s once the producer stopped`,
      });
    });
    const delivered = flood.peers.map((p) => p.delivered);
    const deadLettered = flood.peers.reduce((sum, p) => sum + p.deadLettered, 0);
    const allDelivered = flood.drained && flood.peers.every((p) => p.delivered === flood.ingested);
    const remaining = flood.peers.map((p) => p.inFlight);
    const drainRate = Math.min(...flood.peers.map((p) => p.drainRate));
    rows.push({
      scenario,
      metric: `delivered per peer${flood.drained ? ' after drain' : ` ${flood.drainSeconds.toFixed(0)} s after the flood`} (${transport})`,
      value: delivered.join(' / '),
      baseline: flood.ingested,
      target: `${(Math.min(...delivered) / flood.ingested).toFixed(4)}x ingested`,
      verdict: deadLettered > 0 || (flood.drained && !allDelivered) ? 'FAIL' : allDelivered ? 'PASS' : 'info',
      note:
        (flood.drained
          ? `queues empty ${flood.drainSeconds.toFixed(1)} s after the flood`
          : `queues NOT empty after the ${flood.drainSeconds.toFixed(0)} s wait (still held ${remaining.join(' / ')}, ~${(Math.max(...remaining) / drainRate).toFixed(0)} s more at ${drainRate.toFixed(0)}/s); nothing lost so far`) +
        `; dead-lettered ${flood.peers.map((p) => p.deadLettered).join(' / ')}`,
    });
  }
  if (clients) {
    const undici = median(clients.rounds.map((r) => perRequestUs(r.undici)));
    const node = median(clients.rounds.map((r) => perRequestUs(r.node)));
    rows.push({
      scenario,
      metric: "HTTP client CPU per request (undici, the gateway's)",
      value: undici,
      unit: 'µs',
      baseline: node,
      target: `${(undici / node).toFixed(2)}x node:http`,
      verdict: 'info',
      note:
        `median of 3 rounds of ${options.clientRequests} single-event POSTs, 16 in flight, to a bare fastify; undici p99 ` +
        `${median(clients.rounds.map((r) => percentileMs(r.undici, 0.99))).toFixed(2)} ms, node:http p99 ${median(clients.rounds.map((r) => percentileMs(r.node, 0.99))).toFixed(2)} ms`,
    });
  }
  return { rows, raw: { options, latency: pairs, floods, clients } };
}
