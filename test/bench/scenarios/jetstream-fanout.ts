// Scenario: fan-out across two replicas of one McpServer on one JetStream stream. 1,000
// StreamEvents subscribers split 500/500 between the replicas, a paced IngestEvent producer
// sending to each replica in turn: every subscriber must get every event, whichever replica took
// it in (each replica reads the whole stream with its live tail). Baseline in the same run, rate
// by rate: the same 1,000 subscribers and producer on one gateway with the memory log. Both
// replicas and the baseline run on core 0 (so the replicas share the one core the baseline has
// to itself: the same CPU for the same deliveries); nats-server, subscribers and producer on the
// client core. Latency is send-to-receive on the shared monotonic clock, as in the fan-out scenario.
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { startBenchNats, type BenchNats } from '../lib/nats.js';
import { CORES } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { startRig, type RateResult, type Rig } from './grpc-fanout.js';

export interface JetStreamFanoutOptions {
  streams: number;
  channels: number;
  rates: number[];
  durationS: number;
  /** Replicas on the stream (the subscribers are split evenly between them); 2 by default. */
  replicas: number;
  /** Another build's dist/gateway/main.js: as many replicas of it (own stream) are measured too, against this build's. */
  compareMain?: string | undefined;
}

/** Both replicas use it: one McpServer, one stream. */
const GATEWAY_ID = 'bench/fanout';

export async function jetstreamFanout(options: JetStreamFanoutOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const maxConnections = String(options.streams + 100);
  let nats: BenchNats | undefined;
  const gateways: GatewayProcess[] = [];
  const rigs: Rig[] = [];
  const shared: RateResult[] = [];
  const memory: RateResult[] = [];
  const compared: RateResult[] = [];
  try {
    nats = await startBenchNats();
    log(
      `  nats-server ${nats.url} (pid ${nats.pid}, core ${CORES.store}); ${options.replicas} replica(s) with GATEWAY_ID=${GATEWAY_ID} on core ${CORES.server}`,
    );
    const replicaSet = async (id: string, label: string, main?: string): Promise<Rig> => {
      const env = { BUS: 'jetstream', NATS_URL: nats!.url, GATEWAY_ID: id, MAX_CONNECTIONS: maxConnections };
      const set: GatewayProcess[] = [];
      for (let i = 0; i < options.replicas; i++) set.push(await startGateway({ env, main }));
      gateways.push(...set);
      const rig = await startRig(
        { replicas: set, pids: set.map((g) => g.pid), others: { nats: nats!.pid }, stop: () => Promise.all(set.map((g) => g.stop())) },
        label,
        options,
        log,
      );
      rigs.push(rig);
      return rig;
    };
    const label = `jetstream x${options.replicas}`;
    const replicated = await replicaSet(GATEWAY_ID, label);
    const other = options.compareMain ? await replicaSet(`${GATEWAY_ID}-b`, `${label} (B)`, options.compareMain) : undefined;
    if (other) log(`  ${label} (B) = ${options.compareMain}`);
    const single = await startGateway({ env: { MAX_CONNECTIONS: maxConnections, GATEWAY_ID: 'bench/fanout-memory' } });
    gateways.push(single);
    const baseline = await startRig({ replicas: [single], pids: [single.pid], stop: () => single.stop() }, 'memory x1  ', options, log);
    rigs.push(baseline);
    for (const rate of options.rates) {
      shared.push(await replicated.measure(rate));
      if (other) compared.push(await other.measure(rate));
      memory.push(await baseline.measure(rate));
    }
  } finally {
    for (const rig of rigs) await rig.close();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await nats?.stop();
  }
  return {
    rows: rowsOf(shared, memory, compared, options),
    raw: { streams: options.streams, channels: options.channels, jetstream: shared, memory, compared },
  };
}

function rowsOf(shared: RateResult[], memory: RateResult[], compared: RateResult[], options: JetStreamFanoutOptions): Row[] {
  const scenario = `jetstream fan-out x${options.streams}`;
  const rows: Row[] = [];
  const cpuText = (r: RateResult) =>
    Object.entries(r.cpu)
      .map(([n, c]) => `${n} ${(100 * c).toFixed(0)}%`)
      .join(', ');
  for (const [i, r] of shared.entries()) {
    const base = memory[i]!;
    rows.push({
      scenario,
      metric: `delivered @ ${r.rate} ev/s, ${options.replicas} replicas vs memory`,
      value: r.delivered,
      unit: 'ev/s',
      baseline: base.delivered,
      target: `${(r.delivered / base.delivered).toFixed(2)}x memory`,
      verdict: r.complete ? 'info' : 'FAIL',
      note:
        `${r.received}/${r.expected} deliveries of ${r.ingested} events${r.refused ? ` (${r.refused} refused: ${r.refusal})` : ''}; per stream ${r.minPerStream}..${r.maxPerStream}; ` +
        `${r.cutOff} streams cut off${r.streamError ? ` (${r.streamError})` : ''}; CPU ${cpuText(r)} (server = all replicas); ${r.machine}; ` +
        `memory: ${base.received}/${base.expected}${base.complete ? '' : ' INCOMPLETE'}, ${base.cutOff} cut off, CPU ${cpuText(base)}`,
    });
    rows.push({
      scenario,
      metric: `latency p99 @ ${r.rate} ev/s, ${options.replicas} replicas vs memory`,
      value: r.p99,
      unit: 'ms',
      baseline: base.p99,
      target: `${r.p99 - base.p99 >= 0 ? '+' : ''}${(r.p99 - base.p99).toFixed(2)} ms`,
      verdict: 'info',
      note: `p50 ${r.p50.toFixed(2)} ms, max ${r.max.toFixed(1)} ms; memory p50 ${base.p50.toFixed(2)} ms, max ${base.max.toFixed(1)} ms`,
    });
    rows.push({
      scenario,
      metric: `gateway CPU per delivery @ ${r.rate} ev/s`,
      value: r.serverMicrosPerDelivery,
      unit: 'µs',
      baseline: base.serverMicrosPerDelivery,
      target: `${(r.serverMicrosPerDelivery / base.serverMicrosPerDelivery).toFixed(2)}x memory`,
      verdict: 'info',
    });
    const b = compared[i];
    if (b) {
      rows.push({
        scenario,
        metric: `B: delivered / p99 / CPU per delivery @ ${r.rate} ev/s`,
        value: `${b.delivered.toFixed(0)} ev/s, ${b.p99.toFixed(1)} ms, ${b.serverMicrosPerDelivery.toFixed(1)} µs`,
        baseline: `${r.delivered.toFixed(0)} ev/s, ${r.p99.toFixed(1)} ms, ${r.serverMicrosPerDelivery.toFixed(1)} µs`,
        target: `${(b.delivered / r.delivered).toFixed(2)}x delivered`,
        verdict: b.complete ? 'info' : 'FAIL',
        note: `B = BENCH_GATEWAY_B's replicas, baseline = this build's, measured back to back; B: ${b.received}/${b.expected} deliveries, CPU ${cpuText(b)}`,
      });
    }
  }
  return rows;
}
