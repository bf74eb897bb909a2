// Scenario: gRPC IngestEvent throughput and latency, the gateway against a bare grpc-js unary
// handler (fixtures/bare-grpc-unary.ts) in alternating rounds, ghz on the client core with 50
// calls in flight, one StreamEvents subscriber attached to the gateway that must receive every
// accepted event (as in the HTTP scenario).
import { startGateway } from '../lib/gateway.js';
import { runGrpcLoad, type GrpcLoadResult } from '../lib/load-grpc.js';
import { serverMetrics } from '../lib/proto.js';
import { freePort } from '../../harness/ports.js';
import { CORES, cpuProfileArgs, cpuSeconds, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { mean, median } from '../lib/stats.js';
import { startSubscribers } from '../lib/workers.js';

export interface GrpcIngestOptions {
  concurrency: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  target: number;
  subscriberQueue: number;
}

type Measured = GrpcLoadResult & { serverCpuS: number };

async function measured(pid: number, address: string, concurrency: number, durationS: number): Promise<Measured> {
  const before = cpuSeconds(pid);
  const result = await runGrpcLoad({ address, concurrency, durationS });
  return { ...result, serverCpuS: cpuSeconds(pid) - before };
}

/** ghz ends a timed run by closing its connection: calls in flight then (at most one per worker)
 * end Unavailable or Canceled. Anything else, or more than that, is a real failure. */
const CUT_AT_DEADLINE = new Set(['Unavailable', 'Canceled']);
function realFailures(run: Measured, concurrency: number): number {
  const cut = Object.entries(run.errors).reduce((n, [code, count]) => n + (CUT_AT_DEADLINE.has(code) ? count : 0), 0);
  return run.failed - cut + Math.max(0, cut - concurrency);
}

function summarize(runs: Measured[]) {
  return {
    rps: mean(runs.map((r) => r.requestsPerSecond)),
    perCpuS: runs.reduce((n, r) => n + r.ok, 0) / runs.reduce((n, r) => n + r.serverCpuS, 0),
    p50: mean(runs.map((r) => r.p50Ms)),
    p99: mean(runs.map((r) => r.p99Ms)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
    errors: [...new Set(runs.flatMap((r) => Object.keys(r.errors)))],
  };
}

export async function grpcIngest(options: GrpcIngestOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const barePort = await freePort();
  const bare = spawnNodeWorker('fixtures/bare-grpc-unary.js', CORES.server, { PORT: String(barePort) }, cpuProfileArgs('bare-grpc-unary'));
  const gateway = await startGateway({ env: { SUBSCRIBER_QUEUE_SIZE: String(options.subscriberQueue) } });
  const subscriber = await startSubscribers(gateway, 1, 1);
  const bareAddress = `127.0.0.1:${barePort}`;
  const gatewayAddress = `127.0.0.1:${gateway.grpc}`;
  const bareRuns: Measured[] = [];
  const gatewayRuns: Measured[] = [];
  let gatewayOk = 0;
  try {
    await waitFor('the bare grpc-js unary baseline', async () => (await serverMetrics(barePort)).total_events >= 0, 15_000, 100);
    for (let round = 1; round <= options.rounds; round++) {
      await runGrpcLoad({ address: bareAddress, concurrency: options.concurrency, durationS: options.warmupS });
      const b = await measured(bare.pid!, bareAddress, options.concurrency, options.durationS);
      bareRuns.push(b);
      log(
        `  round ${round}: bare grpc-js ${b.requestsPerSecond.toFixed(0)} req/s (p99 ${b.p99Ms.toFixed(2)} ms, server CPU ${((100 * b.serverCpuS) / b.durationS).toFixed(0)}%)`,
      );
      const warm = await runGrpcLoad({ address: gatewayAddress, concurrency: options.concurrency, durationS: options.warmupS });
      const g = await measured(gateway.pid, gatewayAddress, options.concurrency, options.durationS);
      gatewayRuns.push(g);
      gatewayOk += warm.ok + g.ok;
      await waitFor('the subscriber to catch up', async () => (await subscriber.report()).received >= (await gateway.accepted()), 30_000, 50).catch(
        () => undefined,
      );
      log(
        `  round ${round}: gateway     ${g.requestsPerSecond.toFixed(0)} req/s (p99 ${g.p99Ms.toFixed(2)} ms, server CPU ${((100 * g.serverCpuS) / g.durationS).toFixed(0)}%)`,
      );
    }
    const accepted = await gateway.accepted();
    const report = await subscriber.report();
    const b = summarize(bareRuns);
    const g = summarize(gatewayRuns);
    const ratios = gatewayRuns.map((r, i) => r.requestsPerSecond / bareRuns[i]!.requestsPerSecond);
    const ratio = median(ratios);
    const scenario = 'grpc ingest';
    const rows: Row[] = [
      {
        scenario,
        metric: 'IngestEvent throughput (OK/s)',
        value: g.rps,
        unit: 'req/s',
        baseline: b.rps,
        target: `${ratio.toFixed(2)}x (>= ${options.target}x)`,
        verdict: ratio >= options.target ? 'PASS' : 'FAIL',
        note: `ghz -c ${options.concurrency}, one connection, ${options.durationS} s x ${options.rounds} rounds (after ${options.warmupS} s warm-up); baseline = bare grpc-js unary handler (fixtures/bare-grpc-unary.ts); the ratio is the median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`,
      },
      {
        scenario,
        metric: 'IngestEvent calls per server CPU-second',
        value: g.perCpuS,
        unit: 'req/CPU-s',
        baseline: b.perCpuS,
        target: `${(g.perCpuS / b.perCpuS).toFixed(2)}x`,
        verdict: 'info',
      },
      { scenario, metric: 'latency p50', value: g.p50, unit: 'ms', baseline: b.p50, target: `${(g.p50 / b.p50).toFixed(2)}x`, verdict: 'info' },
      { scenario, metric: 'latency p99', value: g.p99, unit: 'ms', baseline: b.p99, target: `${(g.p99 / b.p99).toFixed(2)}x`, verdict: 'info' },
      {
        scenario,
        metric: 'non-OK calls, beyond those cut at the deadline',
        value: gatewayRuns.reduce((n, r) => n + realFailures(r, options.concurrency), 0),
        baseline: bareRuns.reduce((n, r) => n + realFailures(r, options.concurrency), 0),
        target: '0',
        verdict: gatewayRuns.every((r) => realFailures(r, options.concurrency) === 0) ? 'PASS' : 'FAIL',
        note: `all non-OK: gateway ${g.failed}, bare ${b.failed} (status codes: gateway ${g.errors.join(', ') || 'none'}, bare ${b.errors.join(', ') || 'none'}); ghz closes its connection when a timed run ends, and the calls then in flight (at most ${options.concurrency} per run) end Unavailable or Canceled`,
      },
      {
        scenario,
        metric: 'subscriber received',
        value: report.received,
        baseline: accepted,
        target: `= accepted; OK seen ${gatewayOk}`,
        verdict: report.received === accepted && accepted >= gatewayOk && report.errors === 0 ? 'PASS' : 'FAIL',
        note: `baseline column = the gateway's accepted counter; subscriber stream errors ${report.errors}`,
      },
    ];
    return { rows, raw: { bareRuns, gatewayRuns, accepted, received: report.received } };
  } finally {
    await subscriber.close();
    await Promise.all([gateway.stop(), stop(bare)]);
  }
}
