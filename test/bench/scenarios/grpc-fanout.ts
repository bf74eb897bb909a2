// Scenario 2: gRPC fan-out. 1,000 StreamEvents subscribers in a separate process, a paced
// producer in another; at each offered rate, how many events/s reach subscribers and how long
// an event takes from the producer's send to a subscriber's receive (p50/p99/max). At some
// rates the same clients also drive a bare grpc-js fan-out server, right after the gateway:
// the baseline for what grpc-js and this machine allow at all.
import { freePort } from '../../harness/ports.js';
import { monotonicMicros, sleep } from '../lib/clock.js';
import { startGateway } from '../lib/gateway.js';
import { describeLoad, machineWindow } from '../lib/machine.js';
import type { SubscriberReport } from '../lib/messages.js';
import { CORES, cpuSeconds, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import { activeStreams } from '../lib/proto.js';
import type { Row } from '../lib/report.js';
import { Histogram } from '../lib/stats.js';
import { startProducer, startSubscribers, type StreamServer, type SubscriberWorker } from '../lib/workers.js';

export interface FanoutOptions {
  streams: number;
  channels: number;
  rates: number[];
  /** Rates also run against the bare grpc-js baseline (it has no cut-off, so keep them modest). */
  baselineRates: number[];
  durationS: number;
  /** Rate the latency target applies to, and the target itself. */
  targetRate: number;
  targetP99Ms: number;
}

/** A server the fan-out is measured on: one process, or the replicas of one gateway. */
export interface FanoutServer {
  /** Where subscribers connect (split evenly) and where the producer sends (each event to the next in turn). */
  replicas: StreamServer[];
  /** The server's processes: their CPU adds up to `server` in the results. */
  pids: number[];
  /** Other processes of the system under test whose CPU is shown on its own (nats-server). */
  others?: Record<string, number>;
  stop(): Promise<unknown>;
}

export interface RateResult {
  rate: number;
  ingested: number;
  expected: number;
  received: number;
  seconds: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  cutOff: number;
  complete: boolean;
  cpu: Record<string, number>;
  /** Server CPU time over deliveries: the cost of one event written to one stream. */
  serverMicrosPerDelivery: number;
  machine: string;
  refused: number;
  refusal?: string;
  minPerStream: number;
  maxPerStream: number;
  streamError?: string;
}

async function gatewayServer(streams: number): Promise<FanoutServer> {
  const gateway = await startGateway({ env: { MAX_CONNECTIONS: String(streams + 100) } });
  return { replicas: [gateway], pids: [gateway.pid], stop: gateway.stop };
}

async function bareServer(): Promise<FanoutServer> {
  const port = await freePort();
  const child = spawnNodeWorker('fixtures/bare-grpc-fanout.js', CORES.server, { PORT: String(port) });
  await waitFor('the bare grpc-js fan-out baseline', async () => (await activeStreams(port)) >= 0, 15_000, 100);
  return { replicas: [{ grpc: port, activeStreams: () => activeStreams(port) }], pids: [child.pid!], stop: () => stop(child) };
}

/** Waits until `expected` events have arrived since the last reset, or nothing more has for
 * 2 s; returns the last report and when the count last moved (the end of delivery). */
export async function waitForDelivery(subscribers: SubscriberWorker, expected: number): Promise<{ report: SubscriberReport; lastChange: number }> {
  let last = -1;
  let lastChange = monotonicMicros();
  for (;;) {
    const report = await subscribers.report();
    if (report.received !== last) {
      last = report.received;
      lastChange = monotonicMicros();
    }
    if (report.received >= expected || monotonicMicros() - lastChange > 2e6) return { report, lastChange };
    await sleep(50);
  }
}

/** One server with its own subscribers and producer, measured one rate at a time. */
export interface Rig {
  measure(rate: number): Promise<RateResult>;
  close(): Promise<void>;
}

export async function startRig(
  server: FanoutServer,
  label: string,
  options: Pick<FanoutOptions, 'streams' | 'channels' | 'durationS'>,
  log: (line: string) => void,
): Promise<Rig> {
  let subscribers = await startSubscribers(server.replicas, options.streams, options.channels);
  const producer = startProducer();
  const ports = server.replicas.map((replica) => replica.grpc);
  // A short warm-up so JIT and connection set-up are not measured at the first rate.
  await subscribers.reset();
  const warm = await producer.run(ports, 20, 1000);
  await waitForDelivery(subscribers, warm.ok * options.streams);

  async function measure(rate: number): Promise<RateResult> {
    await subscribers.reset();
    const serverCpu = () => server.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const pids = { subscribers: subscribers.child.pid!, producer: producer.child.pid!, ...server.others };
    const cpuOf = () => ({ server: serverCpu(), ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)])) });
    const cpuBefore: Record<string, number> = cpuOf();
    const machine = machineWindow();
    const started = monotonicMicros();
    const sent = await producer.run(ports, rate, options.durationS * 1000);
    const expected = sent.ok * options.streams;
    const { report, lastChange } = await waitForDelivery(subscribers, expected);
    const seconds = (lastChange - started) / 1e6;
    // CPU share of each process over the run (1.0 = one full core): shows which side saturated.
    const window = (monotonicMicros() - started) / 1e6;
    const used = Object.fromEntries(Object.entries(cpuOf()).map(([name, seconds]) => [name, seconds - cpuBefore[name]!]));
    const cpu = Object.fromEntries(Object.entries(used).map(([name, s]) => [name, s / window]));
    const load = machine(Object.values(used).reduce((a, b) => a + b, 0));
    const latency = new Histogram();
    latency.merge(report.latency);
    const result: RateResult = {
      rate,
      ingested: sent.ok,
      expected,
      received: report.received,
      seconds,
      delivered: report.received / seconds,
      p50: latency.percentile(0.5) / 1000,
      p99: latency.percentile(0.99) / 1000,
      max: latency.max / 1000,
      cutOff: options.streams - report.open,
      complete: report.received === expected,
      cpu,
      serverMicrosPerDelivery: report.received > 0 ? (used.server! * 1e6) / report.received : NaN,
      machine: describeLoad(load),
      refused: sent.failed,
      refusal: sent.errorSamples[0],
      minPerStream: report.minPerStream,
      maxPerStream: report.maxPerStream,
      streamError: report.errorSamples[0],
    };
    log(
      `  ${label} ${rate} ev/s: ${report.received}/${expected} delivered in ${seconds.toFixed(1)} s (${result.delivered.toFixed(0)}/s), ` +
        `p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms, streams cut off ${result.cutOff}; ` +
        `CPU ${Object.entries(cpu)
          .map(([n, c]) => `${n} ${(100 * c).toFixed(0)}%`)
          .join(', ')}, ` +
        `${result.serverMicrosPerDelivery.toFixed(1)} µs server CPU per delivery; ${result.machine}`,
    );
    // Streams cut off for falling behind are gone: measure the next rate with a fresh set.
    if (report.open < options.streams) {
      await subscribers.close();
      for (const replica of server.replicas)
        await waitFor('cut-off streams to close', async () => (await replica.activeStreams()) === 0, 30_000, 100);
      subscribers = await startSubscribers(server.replicas, options.streams, options.channels);
    }
    await sleep(300);
    return result;
  }

  return {
    measure,
    close: async () => {
      await producer.close();
      await subscribers.close();
      await server.stop();
    },
  };
}

export async function grpcFanout(options: FanoutOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  // Both servers run side by side (each idle while the other is measured), and each baseline
  // rate is measured right after the gateway's: paired runs see the same background load.
  const rigs: Rig[] = [];
  const gatewayResults: RateResult[] = [];
  const baselineResults: RateResult[] = [];
  try {
    const gateway = await startRig(await gatewayServer(options.streams), 'gateway', options, log);
    rigs.push(gateway);
    const bare = options.baselineRates.length > 0 ? await startRig(await bareServer(), 'bare grpc-js', options, log) : undefined;
    if (bare) rigs.push(bare);
    for (const rate of options.rates) {
      gatewayResults.push(await gateway.measure(rate));
      if (bare && options.baselineRates.includes(rate)) baselineResults.push(await bare.measure(rate));
    }
  } finally {
    for (const rig of rigs) await rig.close();
  }

  const scenario = `grpc fan-out x${options.streams}`;
  const rows: Row[] = [];
  let bestRate: number | undefined;
  for (const r of gatewayResults) {
    const base = baselineResults.find((b) => b.rate === r.rate);
    const atTarget = r.rate === options.targetRate;
    if (r.complete && r.p99 < options.targetP99Ms) bestRate = Math.max(bestRate ?? 0, r.rate);
    const cpuText = Object.entries(r.cpu)
      .map(([n, c]) => `${n} ${(100 * c).toFixed(0)}%`)
      .join(', ');
    rows.push({
      scenario,
      metric: `delivered @ ${r.rate} ev/s`,
      value: r.delivered,
      unit: 'ev/s',
      baseline: base ? base.delivered : `${r.rate * options.streams} offered`,
      target: base ? `${(r.delivered / base.delivered).toFixed(2)}x bare` : `${(r.delivered / (r.rate * options.streams)).toFixed(2)}x offered`,
      verdict: r.complete ? 'info' : 'FAIL',
      note:
        `${r.received}/${r.expected} deliveries of ${r.ingested} events${r.refused ? ` (${r.refused} refused: ${r.refusal})` : ''}; ` +
        `per stream ${r.minPerStream}..${r.maxPerStream}; ${r.cutOff} streams cut off${r.streamError ? ` (${r.streamError})` : ''}; CPU ${cpuText}; ${r.machine}`,
    });
    if (base) {
      rows.push({
        scenario,
        metric: `server CPU per delivery @ ${r.rate} ev/s`,
        value: r.serverMicrosPerDelivery,
        unit: 'µs',
        baseline: base.serverMicrosPerDelivery,
        target: `${(r.serverMicrosPerDelivery / base.serverMicrosPerDelivery).toFixed(2)}x bare`,
        verdict: 'info',
      });
    }
    rows.push({
      scenario,
      metric: `latency p99 @ ${r.rate} ev/s`,
      value: r.p99,
      unit: 'ms',
      baseline: base ? base.p99 : undefined,
      target: atTarget ? `< ${options.targetP99Ms} ms` : base ? `${(r.p99 / base.p99).toFixed(2)}x bare` : '',
      verdict: atTarget ? (r.p99 < options.targetP99Ms && r.complete ? 'PASS' : 'FAIL') : 'info',
      note: `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms${base ? `; bare grpc-js p50 ${base.p50.toFixed(2)} ms, p99 ${base.p99.toFixed(2)} ms` : ''}`,
    });
  }
  rows.push({
    scenario,
    metric: `max rate with p99 < ${options.targetP99Ms} ms`,
    value: bestRate === undefined ? 'none' : `${bestRate} ev/s`,
    baseline: `${options.targetRate} ev/s`,
    target: bestRate === undefined ? 'n/a' : `${(bestRate / options.targetRate).toFixed(3)}x`,
    verdict: (bestRate ?? 0) >= options.targetRate ? 'PASS' : 'FAIL',
    note: `highest offered rate (of ${options.rates.join(', ')} ev/s) at which all ${options.streams} streams got every event with p99 < ${options.targetP99Ms} ms`,
  });
  return { rows, raw: { streams: options.streams, channels: options.channels, gateway: gatewayResults, bare: baselineResults } };
}
