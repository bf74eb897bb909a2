// `make bench`: runs the gateway benchmarks and prints one table of results, each against a
// baseline or target measured in the same run (the machine is shared and noisy, so absolute
// numbers mean little across runs; ratios do). Knobs are environment variables, see README.md.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths.js';
import { loadTool } from './lib/load-http.js';
import { installCleanup, PINNING } from './lib/processes.js';
import { renderTable, writeJson, type Row } from './lib/report.js';
import { forwarding } from './scenarios/forwarding.js';
import { grpcFanout } from './scenarios/grpc-fanout.js';
import { grpcIngest } from './scenarios/grpc-ingest.js';
import { httpIngest } from './scenarios/http-ingest.js';
import { jetstreamFanout } from './scenarios/jetstream-fanout.js';
import { jetstreamIngest } from './scenarios/jetstream-ingest.js';
import { memory } from './scenarios/memory.js';
import { operatorScale } from './scenarios/operator.js';
import { tracingCost } from './scenarios/tracing.js';

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** A file named by an environment variable, which must exist when set. */
function fileEnv(name: string): string | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!existsSync(raw)) throw new Error(`${name}: ${raw} does not exist`);
  return raw;
}

const config = {
  scenarios: (process.env.BENCH_SCENARIOS ?? 'http,grpc,jetstream,fanout,jetstream-fanout,memory,forwarding,operator,tracing')
    .split(',')
    .map((s) => s.trim()),
  http: {
    connections: numberEnv('BENCH_CONNECTIONS', 50),
    durationS: numberEnv('BENCH_HTTP_SECONDS', 5),
    warmupS: numberEnv('BENCH_WARMUP_SECONDS', 1),
    rounds: numberEnv('BENCH_HTTP_ROUNDS', 4),
    target: 0.6,
    subscriberQueue: numberEnv('BENCH_SUBSCRIBER_QUEUE', 1_000_000),
  },
  grpc: {
    concurrency: numberEnv('BENCH_GRPC_CONCURRENCY', 50),
    durationS: numberEnv('BENCH_HTTP_SECONDS', 5),
    warmupS: numberEnv('BENCH_WARMUP_SECONDS', 1),
    rounds: numberEnv('BENCH_HTTP_ROUNDS', 4),
    target: 0.6,
    subscriberQueue: numberEnv('BENCH_SUBSCRIBER_QUEUE', 1_000_000),
  },
  jetstream: {
    connections: numberEnv('BENCH_CONNECTIONS', 50),
    durationS: numberEnv('BENCH_HTTP_SECONDS', 5),
    warmupS: numberEnv('BENCH_WARMUP_SECONDS', 1),
    rounds: numberEnv('BENCH_HTTP_ROUNDS', 4),
    targetRatio: 0.5,
    p99MarginMs: 2,
    subscriberQueue: numberEnv('BENCH_SUBSCRIBER_QUEUE', 1_000_000),
    latencyRate: numberEnv('BENCH_LATENCY_RATE', 1000),
    latencySeconds: numberEnv('BENCH_LATENCY_SECONDS', 4),
    publisherSeconds: numberEnv('BENCH_PUBLISH_SECONDS', 3),
    inFlight: {
      'js-publish': numberEnv('BENCH_JS_PUBLISH_IN_FLIGHT', 256),
      pipelined: numberEnv('BENCH_PUBLISH_IN_FLIGHT', 1000),
      'gateway-publisher': numberEnv('BENCH_PUBLISH_IN_FLIGHT', 1000),
    },
    compareMain: fileEnv('BENCH_GATEWAY_B'),
  },
  fanout: {
    streams: numberEnv('BENCH_STREAMS', 1000),
    channels: numberEnv('BENCH_CHANNELS', 10),
    rates: (process.env.BENCH_FANOUT_RATES ?? '10,20,50,100,500,2000').split(',').map(Number),
    baselineRates: (process.env.BENCH_FANOUT_BASELINE_RATES ?? '10,50,100').split(',').filter(Boolean).map(Number),
    durationS: numberEnv('BENCH_FANOUT_SECONDS', 5),
    targetRate: 2000,
    targetP99Ms: 10,
  },
  jetstreamFanout: {
    streams: numberEnv('BENCH_STREAMS', 1000),
    channels: numberEnv('BENCH_CHANNELS', 10),
    rates: (process.env.BENCH_JETSTREAM_FANOUT_RATES ?? '20,50,100').split(',').filter(Boolean).map(Number),
    durationS: numberEnv('BENCH_FANOUT_SECONDS', 5),
    replicas: numberEnv('BENCH_JETSTREAM_REPLICAS', 2),
    compareMain: fileEnv('BENCH_GATEWAY_B'),
  },
  memory: {
    streams: numberEnv('BENCH_STREAMS', 1000),
    channels: numberEnv('BENCH_CHANNELS', 10),
    settleMs: numberEnv('BENCH_MEMORY_SETTLE_MS', 10_000),
    sustainedRate: numberEnv('BENCH_SUSTAINED_RATE', 2000),
    // 0 skips the sustained runs; 300 is the five-minute run of issue 17.
    sustainedSeconds: process.env.BENCH_SUSTAINED_SECONDS === '0' ? 0 : numberEnv('BENCH_SUSTAINED_SECONDS', 60),
    sampleMs: 2000,
    targets: { idleMiB: 64, perStreamKiB: 4, loadedOverIdle: 1.5, creep: 1.05 },
  },
  forwarding: {
    rates: (process.env.BENCH_FORWARD_RATES ?? '1000,5000').split(',').filter(Boolean).map(Number),
    rate: 5000,
    targetP99Ms: 10,
    latencySeconds: numberEnv('BENCH_FORWARD_SECONDS', 5),
    warmSeconds: numberEnv('BENCH_FORWARD_WARM_SECONDS', 8),
    maxWarmSeconds: numberEnv('BENCH_FORWARD_MAX_WARM_SECONDS', 15),
    windows: numberEnv('BENCH_FORWARD_WINDOWS', 3),
    maxBatch: numberEnv('BENCH_FORWARD_BATCH', 100),
    transports: (process.env.BENCH_FORWARD_TRANSPORTS ?? 'http,grpc,https').split(',').map((t) => t.trim()) as ('http' | 'grpc' | 'https')[],
    targetRatio: 0.9,
    clientRequests: Number(process.env.BENCH_FORWARD_CLIENT_REQUESTS ?? 20000),
    peers: numberEnv('BENCH_FORWARD_PEERS', 3),
    floodSeconds: numberEnv('BENCH_FORWARD_FLOOD_SECONDS', 10),
    floodBatch: numberEnv('BENCH_FORWARD_FLOOD_BATCH', 100),
    floodConcurrency: numberEnv('BENCH_FORWARD_FLOOD_CONCURRENCY', 4),
    drainSeconds: numberEnv('BENCH_FORWARD_DRAIN_SECONDS', 20),
  },
  tracing: {
    connections: numberEnv('BENCH_CONNECTIONS', 50),
    durationS: numberEnv('BENCH_HTTP_SECONDS', 5),
    warmupS: numberEnv('BENCH_WARMUP_SECONDS', 1),
    rounds: numberEnv('BENCH_TRACING_ROUNDS', 3),
    offTarget: 0.95,
    compareMain: fileEnv('BENCH_GATEWAY_B'),
  },
  operator: {
    servers: numberEnv('BENCH_OPERATOR_SERVERS', 1000),
    namespaces: numberEnv('BENCH_OPERATOR_NAMESPACES', 10),
    concurrency: numberEnv('BENCH_OPERATOR_CONCURRENCY', 32),
    workers: numberEnv('BENCH_OPERATOR_WORKERS', 4),
    quietSeconds: 3,
    idleSeconds: numberEnv('BENCH_OPERATOR_IDLE_SECONDS', 10),
    timeoutSeconds: numberEnv('BENCH_OPERATOR_TIMEOUT_SECONDS', 300),
  },
};

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  installCleanup();
  const started = Date.now();
  const tool = ['http', 'jetstream', 'tracing'].some((s) => config.scenarios.includes(s)) ? loadTool() : 'n/a';
  log(
    `tas-mcp bench: node ${process.version}, ${PINNING ? 'gateway pinned to core 0, clients to core 1' : 'NOT pinned (needs taskset and 2 cores)'}, HTTP load: ${tool}`,
  );
  if (tool === 'autocannon') log('  (wrk not found: using autocannon; `apt-get install -y wrk` gives a load generator that needs less CPU)');

  const rows: Row[] = [];
  const raw: Record<string, object> = {};
  const failures: string[] = [];
  /** Seconds each scenario took, for the README's estimate of a whole run. */
  const durations: Record<string, number> = {};
  const scenarios: [string, string, (l: typeof log) => Promise<{ rows: Row[]; raw: object }>][] = [
    ['http', 'HTTP ingest vs bare fastify and bare node:http', (l) => httpIngest(config.http, l)],
    ['grpc', 'gRPC IngestEvent vs bare grpc-js', (l) => grpcIngest(config.grpc, l)],
    ['jetstream', 'HTTP ingest with the JetStream log vs the memory log and a bare JetStream publisher', (l) => jetstreamIngest(config.jetstream, l)],
    ['fanout', `gRPC fan-out to ${config.fanout.streams} subscribers`, (l) => grpcFanout(config.fanout, l)],
    [
      'jetstream-fanout',
      `fan-out to ${config.jetstreamFanout.streams} subscribers across ${config.jetstreamFanout.replicas} replicas on one JetStream stream vs one memory-log gateway`,
      (l) => jetstreamFanout(config.jetstreamFanout, l),
    ],
    ['memory', `memory: idle, with ${config.memory.streams} streams, under ${config.memory.sustainedRate} ev/s`, (l) => memory(config.memory, l)],
    [
      'forwarding',
      `gateway-to-gateway forwarding at ${config.forwarding.rates.join(', ')} ev/s and to ${config.forwarding.peers} peers`,
      (l) => forwarding(config.forwarding, l),
    ],
    ['operator', `operator with ${config.operator.servers} McpServers applied at once`, (l) => operatorScale(config.operator, l)],
    ['tracing', 'HTTP ingest with tracing off, on at ratio 1 and at 0.01 (exporting to a real Jaeger)', (l) => tracingCost(config.tracing, l)],
  ];
  for (const [key, title, scenario] of scenarios) {
    if (!config.scenarios.includes(key)) continue;
    log(`\n== ${title}`);
    const scenarioStarted = Date.now();
    try {
      const result = await scenario(log);
      rows.push(...result.rows);
      raw[key] = result.raw;
    } catch (error) {
      failures.push(key);
      log(`  scenario failed: ${(error as Error).stack ?? String(error)}`);
      rows.push({ scenario: key, metric: 'scenario', value: 'error', verdict: 'FAIL', note: (error as Error).message.split('\n')[0] });
    }
    durations[key] = Math.round((Date.now() - scenarioStarted) / 1000);
    log(`  (${key}: ${durations[key]} s)`);
  }

  log(`\n${renderTable(rows)}\n`);
  const elapsedS = (Date.now() - started) / 1000;
  const out = join(PROJECT_ROOT, 'test/bench/results/latest.json');
  writeJson(out, { at: new Date().toISOString(), node: process.version, pinned: PINNING, loadTool: tool, elapsedS, durations, config, rows, raw });
  log(`results: ${out} (${elapsedS.toFixed(0)} s)`);
  const failed = rows.some((r) => r.verdict === 'FAIL');
  if (failures.length > 0 || (failed && process.env.BENCH_STRICT === '1')) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
