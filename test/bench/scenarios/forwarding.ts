// Scenario 4: gateway-to-gateway forwarding (issue 5). Two parts:
//  - latency: a paced producer sends to gateway A, which forwards every event to gateway B; one
//    StreamEvents subscriber on B measures send-to-receive time. The baseline is the same
//    subscriber on a gateway without forwarding (local fan-out), measured back to back.
//  - throughput: A forwards to three peers while a producer floods it for a few seconds; from
//    A's own /metrics, how many events each peer got per second against what A ingested, and
//    whether every event arrived once the queues drained.
// All gateways share core 0 (so forwarding's cost competes with ingest, as it would on one
// node); the producer and subscribers run on core 1.
import { monotonicMicros, sleep } from '../lib/clock.js';
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { describeLoad, machineWindow } from '../lib/machine.js';
import { freePorts } from '../../harness/ports.js';
import { cpuSeconds, rssBytes } from '../lib/processes.js';
import { scrape, sumOf, type Sample } from '../lib/prom.js';
import type { Row } from '../lib/report.js';
import { Histogram } from '../lib/stats.js';
import { startBatchProducer, startSubscribers, type BatchProducerWorker } from '../lib/workers.js';
import { waitForDelivery } from './grpc-fanout.js';

export interface ForwardingOptions {
  /** Offered rates of the latency part (each against the local baseline and A->B). */
  rates: number[];
  /** The rate the p99 target applies to, and the target. */
  rate: number;
  targetP99Ms: number;
  latencySeconds: number;
  /** Most events per batch request in the paced part (one request per ~1 ms tick). */
  maxBatch: number;
  peers: number;
  floodSeconds: number;
  floodBatch: number;
  floodConcurrency: number;
  /** Longest wait for A's forwarding queues to empty after the flood. */
  drainSeconds: number;
}

/** Settings every gateway here shares: no replay history (it is not measured and costs memory),
 * queues large enough that nothing is cut off or dead-lettered for lack of room. */
const COMMON_ENV = {
  HISTORY_SIZE: '0',
  LOG_LEVEL: 'warn',
  SUBSCRIBER_QUEUE_SIZE: '1000000',
  BUFFER_SIZE: '100000',
};

/** A gateway whose GATEWAY_ID is 127.0.0.1:<http port>, the id its forwarders derive from its URL. */
async function peerGateway(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const ports = (await freePorts(3)) as [number, number, number];
  return startGateway({ ports, env: { ...COMMON_ENV, GATEWAY_ID: `127.0.0.1:${ports[0]}`, ...env } });
}

const urlOf = (gateway: GatewayProcess) => `http://127.0.0.1:${gateway.http}`;
const batchUrl = (gateway: GatewayProcess) => `${urlOf(gateway)}/api/v1/events/batch`;
const metricsOf = (gateway: GatewayProcess) => scrape(`http://127.0.0.1:${gateway.health}/metrics`);

interface TargetCounts {
  accepted: number;
  delivered: number;
  deadLettered: number;
  inFlight: number;
}

function targetCounts(samples: Sample[], target: string): TargetCounts {
  const events = (outcome: string) => sumOf(samples, 'tas_mcp_forward_events_total', (l) => l.target === target && l.outcome === outcome);
  return {
    accepted: events('accepted'),
    delivered: events('delivered'),
    deadLettered: events('dead_lettered'),
    inFlight: sumOf(samples, 'tas_mcp_forward_in_flight', (l) => l.target === target),
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
): Promise<LatencyResult> {
  const subscriber = await startSubscribers(receiver, 1, 1);
  try {
    // Warm-up: JIT, connections, the forwarder's sockets.
    const warm = await producer.paced(batchUrl(ingest), 500, 1000, options.maxBatch);
    await waitForDelivery(subscriber, warm.ok);
    await subscriber.reset();
    const pids: Record<string, number> = { ingest: ingest.pid, producer: producer.child.pid!, subscriber: subscriber.child.pid! };
    if (receiver !== ingest) pids.receiver = receiver.pid;
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid)]));
    const machine = machineWindow();
    const started = monotonicMicros();
    const sent = await producer.paced(batchUrl(ingest), rate, options.latencySeconds * 1000, options.maxBatch);
    const { report } = await waitForDelivery(subscriber, sent.ok);
    const window = (monotonicMicros() - started) / 1e6;
    const used = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuSeconds(pid) - cpuBefore[n]!]));
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
    };
    if (receiver !== ingest) result.forward = targetCounts(await metricsOf(ingest), `127.0.0.1:${receiver.http}`);
    log(
      `  ${label} @ ${rate} ev/s: ${report.received}/${sent.ok} received (${sent.failed} refused), p50 ${result.p50.toFixed(2)} ms ` +
        `p99 ${result.p99.toFixed(2)} ms max ${result.max.toFixed(1)} ms; CPU ${cpuText(result.cpu)}; ${result.machine}`,
    );
    return result;
  } finally {
    await subscriber.close();
  }
}

function cpuText(cpu: Record<string, number>): string {
  return Object.entries(cpu).map(([n, c]) => `${n} ${(100 * c).toFixed(0)}%`).join(', ');
}

interface PeerResult {
  target: string;
  /** Delivered while the producer ran, per second of it. */
  windowRate: number;
  /** Delivered per second after the producer stopped, until drained or the wait ended: what
   * forwarding does with the core to itself. */
  drainRate: number;
  delivered: number;
  deadLettered: number;
  inFlight: number;
}

interface ThroughputResult {
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

async function throughputRun(options: ForwardingOptions, log: (line: string) => void): Promise<ThroughputResult> {
  const gateways: GatewayProcess[] = [];
  const producer = startBatchProducer();
  try {
    for (let i = 0; i < options.peers; i++) gateways.push(await peerGateway());
    const peers = [...gateways];
    const a = await peerGateway({
      FORWARD_TO: peers.map(urlOf).join(','),
      // Room for everything the flood can ingest: nothing may be dead-lettered as queue_full.
      FORWARD_QUEUE_SIZE: '1000000',
      DEDUPE_SIZE: '2000000',
      // Whatever is still queued at the end is not measured: do not wait the default 10 s on it.
      SHUTDOWN_GRACE_PERIOD: '1s',
    });
    gateways.push(a);
    const targets = peers.map((p) => `127.0.0.1:${p.http}`);
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
    // What A holds for its peers costs memory: nothing pushes back on ingest while it grows.
    const rssAtEnd = rssBytes(a.pid);
    const used = { a: cpuSeconds(a.pid) - cpuBefore.a, peers: peerCpu() - cpuBefore.peers, producer: cpuSeconds(producerPid) - cpuBefore.producer };
    const load = machine(used.a + used.peers + used.producer);
    const drainStarted = monotonicMicros();
    const drained = await waitInFlight(a, options.drainSeconds * 1000);
    const drainSeconds = (monotonicMicros() - drainStarted) / 1e6;
    const after = await metricsOf(a);
    const result: ThroughputResult = {
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
        };
      }),
      cpu: { a: used.a / seconds, peers: used.peers / seconds, producer: used.producer / seconds },
      machine: describeLoad(load),
      rssAtEnd,
    };
    log(
      `  flood ${seconds.toFixed(1)} s into A (warm-up ${warm.ok}): ${sent.ok} ingested (${result.ingestRate.toFixed(0)}/s, ${sent.failed} refused); ` +
        `forwarded during the flood ${result.peers.map((p) => `${p.windowRate.toFixed(0)}/s`).join(', ')}; ` +
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

export async function forwarding(options: ForwardingOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  // Latency: the local baseline and the forwarding pair run side by side (each idle while the
  // other is measured), each rate back to back, with one producer.
  const producer = startBatchProducer();
  const started: GatewayProcess[] = [];
  const pairs: { local: LatencyResult; forwarded: LatencyResult }[] = [];
  try {
    const alone = await peerGateway();
    started.push(alone);
    const b = await peerGateway();
    started.push(b);
    const a = await peerGateway({ FORWARD_TO: urlOf(b), FORWARD_QUEUE_SIZE: '1000000' });
    started.push(a);
    for (const rate of options.rates) {
      const local = await latencyRun(rate, 'local fan-out (no forwarding)', alone, alone, producer, options, log);
      const forwarded = await latencyRun(rate, 'A -> B forwarded', a, b, producer, options, log);
      pairs.push({ local, forwarded });
    }
  } finally {
    await producer.close();
    for (const gateway of started.reverse()) await gateway.stop();
  }
  const flood = await throughputRun(options, log);

  const scenario = 'forwarding';
  const rows: Row[] = [];
  for (const { local, forwarded } of pairs) {
    const complete = forwarded.received === forwarded.ok && forwarded.ok === forwarded.sent;
    const atTarget = forwarded.rate === options.rate;
    rows.push(
      {
        scenario,
        metric: `latency p99 @ ${forwarded.rate} ev/s (A->B)`,
        value: forwarded.p99,
        unit: 'ms',
        baseline: local.p99,
        target: `${atTarget ? `< ${options.targetP99Ms} ms; ` : ''}${(forwarded.p99 / local.p99).toFixed(1)}x local`,
        verdict: atTarget ? (forwarded.p99 < options.targetP99Ms && complete ? 'PASS' : 'FAIL') : 'info',
        note:
          `ingest at A to StreamEvents on B; baseline = the same subscriber on a gateway without forwarding. ` +
          `A->B p50 ${forwarded.p50.toFixed(2)} ms, p99 ${forwarded.p99.toFixed(2)} ms, max ${forwarded.max.toFixed(1)} ms; ` +
          `local p50 ${local.p50.toFixed(2)} ms, p99 ${local.p99.toFixed(2)} ms, max ${local.max.toFixed(1)} ms; ` +
          `CPU ${cpuText(forwarded.cpu)} (local: ${cpuText(local.cpu)}); ${forwarded.machine}`,
      },
      {
        scenario,
        metric: `latency p50 @ ${forwarded.rate} ev/s (A->B)`,
        value: forwarded.p50,
        unit: 'ms',
        baseline: local.p50,
        target: `${(forwarded.p50 / local.p50).toFixed(1)}x local`,
        verdict: 'info',
      },
      {
        scenario,
        metric: `received on B @ ${forwarded.rate} ev/s`,
        value: `${forwarded.received}/${forwarded.sent}`,
        baseline: `${local.received}/${local.sent} local`,
        target: `${(forwarded.received / forwarded.sent).toFixed(4)}x sent`,
        verdict: complete ? 'PASS' : 'FAIL',
        note:
          `${forwarded.sent - forwarded.ok} refused at A${forwarded.refusal ? ` (${forwarded.refusal})` : ''}` +
          (forwarded.forward ? `; A's counts for B so far: accepted ${forwarded.forward.accepted}, delivered ${forwarded.forward.delivered}, dead-lettered ${forwarded.forward.deadLettered}` : ''),
      },
    );
  }
  rows.push({
    scenario,
    metric: `ingested at A, forwarding to ${options.peers}`,
    value: flood.ingestRate,
    unit: 'ev/s',
    verdict: flood.refused === 0 ? 'info' : 'FAIL',
    note:
      `${flood.ingested} events in ${flood.seconds.toFixed(1)} s, batches of ${options.floodBatch}, ${options.floodConcurrency} in flight; ` +
      `${flood.refused} refused${flood.refusal ? ` (${flood.refusal})` : ''}; A's RSS at the end ${(flood.rssAtEnd / 2 ** 20).toFixed(0)} MiB; CPU ${cpuText(flood.cpu)} (peers summed); ${flood.machine}`,
  });
  flood.peers.forEach((peer, i) => {
    rows.push({
      scenario,
      metric: `forwarded to peer ${i + 1} during the flood`,
      value: peer.windowRate,
      unit: 'ev/s',
      baseline: flood.ingestRate,
      target: `${(peer.windowRate / flood.ingestRate).toFixed(2)}x ingested (ideal 1.0)`,
      verdict: 'info',
      note:
        `target ${peer.target}: delivered during the ${flood.seconds.toFixed(1)} s of the flood against A's ingest rate over the same time; ` +
        `${peer.drainRate.toFixed(0)}/s once the producer stopped`,
    });
  });
  const delivered = flood.peers.map((p) => p.delivered);
  const deadLettered = flood.peers.reduce((sum, p) => sum + p.deadLettered, 0);
  const allDelivered = flood.drained && flood.peers.every((p) => p.delivered === flood.ingested);
  // Not drained within the bound is the rate mismatch above, not a loss: the verdict fails on
  // dead letters, or on a drained queue that did not deliver everything.
  const remaining = flood.peers.map((p) => p.inFlight);
  const drainRate = Math.min(...flood.peers.map((p) => p.drainRate));
  rows.push({
    scenario,
    metric: `delivered per peer${flood.drained ? ' after drain' : ` ${flood.drainSeconds.toFixed(0)} s after the flood`}`,
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
  return { rows, raw: { options, latency: pairs, flood } };
}
