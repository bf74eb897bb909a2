// Scenario: what tracing costs at ingest. Gateways that differ only in their OTEL_* settings (off;
// on with parent-based ratio 1; on with ratio 0.01), exporting to a real Jaeger (test/harness) on
// the client core, take the same HTTP load in alternating rounds; throughput and requests per
// server CPU-second are reported as ratios to the tracing-off gateway of the same round. With
// BENCH_GATEWAY_B (another build's dist/gateway/main.js, e.g. main's), that build without tracing
// is measured too, so "off costs nothing" is a ratio and not a claim.
import { startJaeger, type Jaeger } from '../../harness/jaeger.js';
import { HTTP_EVENT } from '../lib/bench-event.js';
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { runLoad, type LoadResult } from '../lib/load-http.js';
import { cpuSeconds } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { median } from '../lib/stats.js';
import { sleep } from '../lib/clock.js';

export interface TracingOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** Tracing off must serve at least this share of the other build's requests per CPU-second. */
  offTarget: number;
  /** Another build's gateway entry point, measured without tracing as the baseline of "off". */
  compareMain?: string | undefined;
}

interface Variant {
  key: string;
  label: string;
  env: Record<string, string>;
  main?: string | undefined;
}

type Measured = LoadResult & { serverCpuS: number };

export async function tracingCost(options: TracingOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const jaeger: Jaeger = await startJaeger();
  const traced = (ratio: string) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
    OTEL_SERVICE_NAME: `bench-ratio-${ratio}`,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: ratio,
  });
  const variants: Variant[] = [
    { key: 'off', label: 'tracing off', env: {} },
    { key: 'ratio-1', label: 'tracing on, ratio 1', env: traced('1') },
    { key: 'ratio-0.01', label: 'tracing on, ratio 0.01', env: traced('0.01') },
    ...(options.compareMain ? [{ key: 'other-build', label: 'other build (BENCH_GATEWAY_B), no tracing', env: {}, main: options.compareMain }] : []),
  ];
  const gateways = new Map<string, GatewayProcess>();
  const runs = new Map<string, Measured[]>(variants.map((v) => [v.key, []]));
  try {
    // One at a time on the server core: an idle gateway costs nothing measurable, but start-up does.
    for (const variant of variants) gateways.set(variant.key, await startGateway({ env: variant.env, main: variant.main }));
    const load = { body: HTTP_EVENT, connections: options.connections };
    for (let round = 1; round <= options.rounds; round++) {
      // Rotate the order, and reverse it every other round, so no variant always follows the same one.
      const rotated = variants.map((_, i) => variants[(i + round - 1) % variants.length]!);
      const order = round % 2 === 0 ? rotated.reverse() : rotated;
      for (const variant of order) {
        const gateway = gateways.get(variant.key)!;
        const url = `http://127.0.0.1:${gateway.http}/api/v1/events`;
        await runLoad({ ...load, url, durationS: options.warmupS });
        const before = cpuSeconds(gateway.pid);
        const result = await runLoad({ ...load, url, durationS: options.durationS });
        const measured = { ...result, serverCpuS: cpuSeconds(gateway.pid) - before };
        runs.get(variant.key)!.push(measured);
        // Jaeger (unpinned) stores the last spans of a traced run: let it finish before the next run.
        if (variant.key.startsWith('ratio')) await sleep(1000);
        log(
          `  round ${round}: ${variant.label.padEnd(42)} ${measured.requestsPerSecond.toFixed(0)} req/s, ${(measured.ok / measured.serverCpuS).toFixed(0)} req/CPU-s (p99 ${measured.p99Ms.toFixed(2)} ms, failed ${measured.failed})`,
        );
      }
    }
    const services = await jaeger.services();
    const off = runs.get('off')!;
    const ratioTo = (key: string, perCpu: boolean) =>
      median(
        runs.get(key)!.map((r, i) => {
          const base = off[i]!;
          return perCpu ? r.ok / r.serverCpuS / (base.ok / base.serverCpuS) : r.requestsPerSecond / base.requestsPerSecond;
        }),
      );
    const scenario = 'tracing cost';
    const rows: Row[] = [];
    for (const variant of variants) {
      if (variant.key === 'off') continue;
      const list = runs.get(variant.key)!;
      const rps = ratioTo(variant.key, false);
      const cpu = ratioTo(variant.key, true);
      const isOther = variant.key === 'other-build';
      rows.push(
        {
          scenario,
          metric: isOther ? 'tracing off vs other build: throughput' : `${variant.label}: throughput`,
          value: list.reduce((n, r) => n + r.requestsPerSecond, 0) / list.length,
          unit: 'req/s',
          baseline: off.reduce((n, r) => n + r.requestsPerSecond, 0) / off.length,
          // For the other build the baseline is inverted: off's rate as a share of the other build's.
          // Raw rates swing with other work on the machine; the per-CPU row below is the one judged.
          target: isOther ? `${(1 / rps).toFixed(2)}x` : `${rps.toFixed(2)}x of off`,
          verdict: 'info',
          note: `median of per-round ratios to the tracing-off gateway of the same round: ${list.map((r, i) => (r.requestsPerSecond / off[i]!.requestsPerSecond).toFixed(2)).join(', ')}`,
        },
        {
          scenario,
          metric: isOther ? 'tracing off vs other build: req per server CPU-s' : `${variant.label}: req per server CPU-s`,
          value: list.reduce((n, r) => n + r.ok, 0) / list.reduce((n, r) => n + r.serverCpuS, 0),
          unit: 'req/CPU-s',
          baseline: off.reduce((n, r) => n + r.ok, 0) / off.reduce((n, r) => n + r.serverCpuS, 0),
          target: isOther ? `${(1 / cpu).toFixed(2)}x (>= ${options.offTarget}x)` : `${cpu.toFixed(2)}x of off`,
          verdict: isOther ? (1 / cpu >= options.offTarget ? 'PASS' : 'FAIL') : 'info',
          note: 'robust to CPU other work on the machine takes from the gateway',
        },
      );
    }
    const failed = [...runs.values()].flat().reduce((n, r) => n + r.failed, 0);
    const exported = ['bench-ratio-1', 'bench-ratio-0.01'].every((name) => services.includes(name));
    rows.push(
      { scenario, metric: 'non-2xx / errors', value: failed, target: '0', verdict: failed === 0 ? 'PASS' : 'FAIL' },
      {
        scenario,
        metric: 'spans reached Jaeger',
        value: services.filter((s) => s.startsWith('bench-')).join(', ') || 'none',
        target: 'both traced gateways',
        verdict: exported ? 'PASS' : 'FAIL',
        note: `a real Jaeger (OTLP/HTTP, in-memory store) on the client core; spans beyond the SDK's batch queue (OTEL_BSP_MAX_QUEUE_SIZE, 2048) are dropped by design, never buffered`,
      },
    );
    return { rows, raw: Object.fromEntries(runs) };
  } finally {
    await Promise.all([...gateways.values()].map((g) => g.stop()));
    await jaeger.stop();
  }
}
