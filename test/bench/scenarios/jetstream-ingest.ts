// Scenario: HTTP ingest with the JetStream log (BUS=jetstream: 2xx only once JetStream
// acknowledged the event) against the memory log, and against a bare JetStream publisher, in
// alternating rounds of one run. One nats-server (file storage) on the client core (lib/nats.ts
// says why); both gateways on core 0, each idle while the other is measured, each with one
// StreamEvents subscriber that must receive every accepted event. The bare publisher
// (workers/jetstream-publisher.ts) runs on core 0 while both gateways idle: what one core gets
// acknowledged by JetStream with the maintained client and nothing else.
import { sleep } from '../lib/clock.js';
import { HTTP_EVENT } from '../lib/bench-event.js';
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { runLoad, type LoadResult } from '../lib/load-http.js';
import { machineWindow } from '../lib/machine.js';
import { request, type PublisherReport, type PublishMode } from '../lib/messages.js';
import { startBenchNats, type BenchNats } from '../lib/nats.js';
import { CORES, cpuProfileArgs, cpuSeconds, exited, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { Histogram, mean, median } from '../lib/stats.js';
import { startBatchProducer, startSubscribers, type SubscriberWorker } from '../lib/workers.js';

export interface JetStreamIngestOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** jetstream / memory throughput at least this. */
  targetRatio: number;
  /** jetstream p99 at most this many ms above memory's. */
  p99MarginMs: number;
  subscriberQueue: number;
  /** The latency run after each measured run: one event per request at this offered rate (open loop), for this long. */
  latencyRate: number;
  latencySeconds: number;
  /** Bare publisher: seconds per measured run, and messages in flight per mode. */
  publisherSeconds: number;
  inFlight: Record<PublishMode, number>;
  /** Another build's dist/gateway/main.js: also measured with BUS=jetstream in every round, against this build. */
  compareMain?: string | undefined;
}

type Bus = 'memory' | 'jetstream';
const MODES: PublishMode[] = ['js-publish', 'pipelined', 'gateway-publisher'];
const MODE_TITLE: Record<PublishMode, string> = {
  'js-publish': 'bare js.publish',
  pipelined: 'bare pipelined',
  'gateway-publisher': "gateway's AckedPublisher alone",
};

/** One HTTP load run with the CPU every process involved used during it. */
interface GatewayRun extends LoadResult {
  gatewayCpuS: number;
  natsCpuS: number;
  subscriberCpuS: number;
  /** Busy cores beyond our own processes (other work on the machine). */
  otherCores: number;
}

interface PacedRun {
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  errors: string[];
}

interface PublisherRun extends PublisherReport {
  natsCpuS: number;
  otherCores: number;
}

interface Side {
  label: string;
  bus: Bus;
  gateway: GatewayProcess;
  subscriber: SubscriberWorker;
  url: string;
  runs: GatewayRun[];
  /** Runs at the fixed offered rate: latency without a queue in front of the gateway. */
  pacedRuns: PacedRun[];
  ok: number;
  catchUpMs: number[];
}

async function measureGateway(side: Side, nats: BenchNats, options: JetStreamIngestOptions): Promise<GatewayRun> {
  const pids = { gateway: side.gateway.pid, nats: nats.pid, subscriber: side.subscriber.child.pid! };
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const machine = machineWindow();
  const result = await runLoad({ url: side.url, body: HTTP_EVENT, connections: options.connections, durationS: options.durationS });
  const used = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid) - before[name]!]));
  const own = used.gateway! + used.nats! + used.subscriber! + result.clientCpu * result.durationS;
  return {
    ...result,
    gatewayCpuS: used.gateway!,
    natsCpuS: used.nats!,
    subscriberCpuS: used.subscriber!,
    otherCores: machine(own).otherCores,
  };
}

const pct = (seconds: number, over: number) => `${((100 * seconds) / over).toFixed(0)}%`;

export async function jetstreamIngest(options: JetStreamIngestOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const nats = await startBenchNats();
  const sides: Side[] = [];
  const publisher = spawnNodeWorker('workers/jetstream-publisher.js', CORES.server, {}, cpuProfileArgs('bare-publisher'));
  const publisherRuns: Record<PublishMode, PublisherRun[]> = { 'js-publish': [], pipelined: [], 'gateway-publisher': [] };
  const producer = startBatchProducer();
  try {
    const stream = await request<{ stream: string }>(publisher, { cmd: 'connect', url: nats.url });
    log(`  nats-server ${nats.url} (pid ${nats.pid}, core ${CORES.store}); bare publisher stream ${stream.stream}`);
    const plan: { label: string; bus: Bus; main?: string }[] = [
      { label: 'memory', bus: 'memory' },
      { label: 'jetstream', bus: 'jetstream' },
      ...(options.compareMain ? [{ label: 'jetstream (B)', bus: 'jetstream' as const, main: options.compareMain }] : []),
    ];
    for (const [i, { label, bus, main }] of plan.entries()) {
      // Each gateway its own stream: the others' events must not reach its live tail.
      const env: Record<string, string> = { SUBSCRIBER_QUEUE_SIZE: String(options.subscriberQueue), GATEWAY_ID: `bench-ingest-${i}` };
      if (bus === 'jetstream') Object.assign(env, { BUS: 'jetstream', NATS_URL: nats.url });
      const gateway = await startGateway({ env, main });
      sides.push({
        label,
        bus,
        gateway,
        subscriber: await startSubscribers(gateway, 1, 1),
        url: `http://127.0.0.1:${gateway.http}/api/v1/events`,
        runs: [],
        pacedRuns: [],
        ok: 0,
        catchUpMs: [],
      });
    }
    if (options.compareMain) log(`  jetstream (B) = ${options.compareMain}`);
    const catchUp = (side: Side) =>
      waitFor(
        'the subscriber to catch up',
        async () => (await side.subscriber.report()).received >= (await side.gateway.accepted()),
        30_000,
        50,
      ).catch(() => undefined);

    for (let round = 1; round <= options.rounds; round++) {
      for (const side of sides) {
        const warm = await runLoad({ url: side.url, body: HTTP_EVENT, connections: options.connections, durationS: options.warmupS });
        const run = await measureGateway(side, nats, options);
        side.runs.push(run);
        const lagStart = Date.now();
        await catchUp(side);
        side.catchUpMs.push(Date.now() - lagStart);
        // After the catch-up, so the subscriber's backlog is not written during it.
        const paced = await producer.single(side.url, options.latencyRate, options.latencySeconds * 1000);
        const pacedLatency = new Histogram();
        pacedLatency.merge(paced.latency);
        const light: PacedRun = {
          p50Ms: pacedLatency.percentile(0.5) / 1000,
          p99Ms: pacedLatency.percentile(0.99) / 1000,
          ok: paced.ok,
          failed: paced.failed,
          errors: paced.errorSamples,
        };
        side.pacedRuns.push(light);
        side.ok += warm.ok + run.ok + light.ok;
        log(
          `  round ${round}: ${side.label.padEnd(13)} ${run.requestsPerSecond.toFixed(0)} req/s (p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms; ` +
            `@${options.latencyRate}/s: p50 ${light.p50Ms.toFixed(2)} ms, p99 ${light.p99Ms.toFixed(2)} ms; CPU gateway ${pct(run.gatewayCpuS, run.durationS)}, nats ${pct(run.natsCpuS, run.durationS)}, ${run.tool} ${pct(run.clientCpu, 1)}, subscriber ${pct(run.subscriberCpuS, run.durationS)}; other work >= ${run.otherCores.toFixed(2)} cores)`,
        );
      }
      for (const mode of MODES) {
        const inFlight = options.inFlight[mode];
        await request<PublisherReport>(
          publisher,
          { cmd: 'run', mode, inFlight, durationMs: options.warmupS * 1000 },
          options.warmupS * 1000 + 60_000,
        );
        const natsBefore = cpuSeconds(nats.pid);
        const machine = machineWindow();
        const report = await request<PublisherReport>(
          publisher,
          { cmd: 'run', mode, inFlight, durationMs: options.publisherSeconds * 1000 },
          options.publisherSeconds * 1000 + 60_000,
        );
        const natsCpuS = cpuSeconds(nats.pid) - natsBefore;
        const run: PublisherRun = { ...report, natsCpuS, otherCores: machine(natsCpuS + report.cpuS).otherCores };
        publisherRuns[mode].push(run);
        const latency = new Histogram();
        latency.merge(report.latency);
        const seconds = report.elapsedMs / 1000;
        log(
          `  round ${round}: ${MODE_TITLE[mode]} x${inFlight} in flight: ${(report.acked / seconds).toFixed(0)} acked/s (p50 ${(latency.percentile(0.5) / 1000).toFixed(2)} ms, p99 ${(latency.percentile(0.99) / 1000).toFixed(2)} ms; ` +
            `CPU publisher ${pct(report.cpuS, seconds)} = ${((report.cpuS * 1e6) / report.acked).toFixed(1)} µs/ack, nats ${pct(natsCpuS, seconds)}; failed ${report.failed}; other work >= ${run.otherCores.toFixed(2)} cores)`,
        );
      }
    }

    for (const side of sides) await catchUp(side);
    await sleep(300);
    const delivery = await Promise.all(
      sides.map(async (side) => ({ report: await side.subscriber.report(), accepted: await side.gateway.accepted() })),
    );
    return {
      rows: rowsOf(sides, publisherRuns, delivery, options),
      raw: { sides: sides.map(({ label, runs, ok }) => ({ label, runs, ok })), publisherRuns },
    };
  } finally {
    await Promise.all(sides.map((side) => side.subscriber.close()));
    await Promise.all(sides.map((side) => side.gateway.stop()));
    await producer.close();
    await request(publisher, { cmd: 'close' }).catch(() => undefined);
    // It exits by itself (writing its CPU profile, if asked for); a signal would lose the profile.
    await Promise.race([exited(publisher), sleep(3000)]);
    await stop(publisher, 3000);
    await nats.stop();
  }
}

function summarize(runs: GatewayRun[]) {
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  return {
    rps: mean(runs.map((r) => r.requestsPerSecond)),
    p50: mean(runs.map((r) => r.p50Ms)),
    p99: mean(runs.map((r) => r.p99Ms)),
    gatewayMicros: (runs.reduce((n, r) => n + r.gatewayCpuS, 0) * 1e6) / ok,
    natsMicros: (runs.reduce((n, r) => n + r.natsCpuS, 0) * 1e6) / ok,
    gatewayShare: mean(runs.map((r) => r.gatewayCpuS / r.durationS)),
    clientCoreShare: mean(runs.map((r) => (r.natsCpuS + r.subscriberCpuS) / r.durationS + r.clientCpu)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
  };
}

function publisherSummary(runs: PublisherRun[]) {
  const acked = runs.reduce((n, r) => n + r.acked, 0);
  const latency = new Histogram();
  for (const run of runs) latency.merge(run.latency);
  return {
    rate: median(runs.map((r) => r.acked / (r.elapsedMs / 1000))),
    clientMicros: (runs.reduce((n, r) => n + r.cpuS, 0) * 1e6) / acked,
    natsMicros: (runs.reduce((n, r) => n + r.natsCpuS, 0) * 1e6) / acked,
    p50: latency.percentile(0.5) / 1000,
    p99: latency.percentile(0.99) / 1000,
    failed: runs.reduce((n, r) => n + r.failed, 0),
    errors: [...new Set(runs.flatMap((r) => r.errorSamples))].slice(0, 3),
  };
}

function rowsOf(
  sides: Side[],
  publisherRuns: Record<PublishMode, PublisherRun[]>,
  delivery: { report: { received: number; errors: number; errorSamples: string[] }; accepted: number }[],
  options: JetStreamIngestOptions,
): Row[] {
  const scenario = 'jetstream ingest';
  const [memorySide, jsSide, compareSide] = sides as [Side, Side, Side | undefined];
  const m = summarize(memorySide.runs);
  const j = summarize(jsSide.runs);
  // Paired per-round figures: a round disturbed by other work moves both sides of its pair.
  const ratios = jsSide.runs.map((r, i) => r.requestsPerSecond / memorySide.runs[i]!.requestsPerSecond);
  const ratio = median(ratios);
  const p99Deltas = jsSide.runs.map((r, i) => r.p99Ms - memorySide.runs[i]!.p99Ms);
  const p99Delta = median(p99Deltas);
  const bare = Object.fromEntries(MODES.map((mode) => [mode, publisherSummary(publisherRuns[mode])])) as Record<
    PublishMode,
    ReturnType<typeof publisherSummary>
  >;
  const inFlightSlack = options.connections * options.rounds * 2;
  const rows: Row[] = [
    {
      scenario,
      metric: 'throughput (2xx/s), jetstream vs memory',
      value: j.rps,
      unit: 'req/s',
      baseline: m.rps,
      target: `${ratio.toFixed(2)}x (>= ${options.targetRatio}x)`,
      verdict: ratio >= options.targetRatio ? 'PASS' : 'FAIL',
      note: `POST /api/v1/events, ${options.connections} connections, ${options.durationS} s x ${options.rounds} rounds (after ${options.warmupS} s warm-up), ${jsSide.runs[0]!.tool}; one nats-server, file storage, R1; values are means over rounds, the ratio is the median of per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}; the client core (load generator + nats-server + subscriber) was ${(100 * j.clientCoreShare).toFixed(0)}% busy in the jetstream runs, ${(100 * m.clientCoreShare).toFixed(0)}% in the memory runs`,
    },
    {
      scenario,
      metric: `latency p50 at ${options.connections} connections, jetstream vs memory`,
      value: j.p50,
      unit: 'ms',
      baseline: m.p50,
      target: `+${(j.p50 - m.p50).toFixed(2)} ms`,
      verdict: 'info',
      note: `at ${options.connections} connections both gateways are saturated, so latency is mostly the queue in front of them (${options.connections} / throughput on average): the slower one has the longer queue`,
    },
    {
      scenario,
      metric: `latency p99 at ${options.connections} connections, jetstream vs memory`,
      value: j.p99,
      unit: 'ms',
      baseline: m.p99,
      target: `${p99Delta >= 0 ? '+' : ''}${p99Delta.toFixed(2)} ms`,
      verdict: 'info',
      note: `the difference is the median of per-round differences ${p99Deltas.map((d) => d.toFixed(2)).join(', ')} ms; the p99 target is judged at a fixed offered rate (next rows), where neither gateway has a queue`,
    },
    ...(['p50', 'p99'] as const).map((q): Row => {
      const key = q === 'p50' ? 'p50Ms' : 'p99Ms';
      const value = (side: Side) => median(side.pacedRuns.map((r) => r[key]));
      const deltas = jsSide.pacedRuns.map((r, i) => r[key] - memorySide.pacedRuns[i]![key]);
      const delta = median(deltas);
      const failed = sides.reduce((n, side) => n + side.pacedRuns.reduce((f, r) => f + r.failed, 0), 0);
      return {
        scenario,
        metric: `latency ${q} at ${options.latencyRate} req/s offered, jetstream vs memory`,
        value: value(jsSide),
        unit: 'ms',
        baseline: value(memorySide),
        target: `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms${q === 'p99' ? ` (<= +${options.p99MarginMs} ms)` : ''}`,
        verdict: q === 'p99' ? (delta <= options.p99MarginMs && failed === 0 ? 'PASS' : 'FAIL') : 'info',
        note:
          q === 'p99'
            ? `one event per POST, open loop (workers/batch-producer.ts \`single\`), ${options.latencySeconds} s after each measured run; values are medians over rounds, the difference the median of per-round differences ${deltas.map((d) => d.toFixed(2)).join(', ')} ms; non-2xx ${failed}${failed ? ` (${[...new Set(sides.flatMap((side) => side.pacedRuns.flatMap((r) => r.errors)))].slice(0, 2).join('; ')})` : ''}`
            : undefined,
      };
    }),
    {
      scenario,
      metric: 'gateway CPU per accepted event',
      value: j.gatewayMicros,
      unit: 'µs',
      baseline: m.gatewayMicros,
      target: `${(j.gatewayMicros / m.gatewayMicros).toFixed(2)}x memory`,
      verdict: 'info',
      note: `the gateway process's CPU time over 2xx responses; it used ${(100 * j.gatewayShare).toFixed(0)}% (jetstream) and ${(100 * m.gatewayShare).toFixed(0)}% (memory) of core 0`,
    },
    {
      scenario,
      metric: 'events per gateway CPU-second, jetstream vs memory',
      value: 1e6 / j.gatewayMicros,
      unit: 'ev/CPU-s',
      baseline: 1e6 / m.gatewayMicros,
      target: `${(m.gatewayMicros / j.gatewayMicros).toFixed(2)}x (>= ${options.targetRatio}x)`,
      verdict: m.gatewayMicros / j.gatewayMicros >= options.targetRatio ? 'PASS' : 'FAIL',
      note: 'the throughput target on what CPU time says, which other work on the machine does not distort (req/s does: it depends on how much of core 0 each gateway got)',
    },
    {
      scenario,
      metric: 'nats-server CPU per accepted event',
      value: j.natsMicros,
      unit: 'µs',
      baseline: bare.pipelined.natsMicros,
      target: `${(j.natsMicros / bare.pipelined.natsMicros).toFixed(2)}x bare pipelined`,
      verdict: 'info',
      note: `nats-server's CPU time over the gateway's 2xx responses (memory bus: none); baseline = per message acknowledged to the bare pipelined publisher (js.publish: ${bare['js-publish'].natsMicros.toFixed(1)} µs)`,
    },
  ];
  for (const mode of MODES) {
    const b = bare[mode];
    rows.push({
      scenario,
      metric: `${MODE_TITLE[mode]}, acked/s from one core`,
      value: b.rate,
      unit: 'msg/s',
      target: `${options.inFlight[mode]} in flight`,
      verdict: b.failed === 0 ? 'info' : 'FAIL',
      note: `${b.clientMicros.toFixed(1)} µs publisher CPU and ${b.natsMicros.toFixed(1)} µs nats-server CPU per ack; publish-to-ack p50 ${b.p50.toFixed(2)} ms, p99 ${b.p99.toFixed(2)} ms; median of ${options.rounds} runs of ${options.publisherSeconds} s; ${b.failed} failed${b.errors.length ? ` (${b.errors.join('; ')})` : ''}`,
    });
  }
  for (const mode of ['pipelined', 'js-publish'] as const) {
    const perRound = jsSide.runs.map((r, i) => r.requestsPerSecond / (publisherRuns[mode][i]!.acked / (publisherRuns[mode][i]!.elapsedMs / 1000)));
    rows.push({
      scenario,
      metric: `gateway (HTTP, jetstream) / ${MODE_TITLE[mode]}`,
      value: j.rps,
      unit: 'ev/s',
      baseline: bare[mode].rate,
      target: `${median(perRound).toFixed(2)}x`,
      verdict: 'info',
      note: `median of per-round ratios ${perRound.map((r) => r.toFixed(2)).join(', ')}${mode === 'pipelined' ? '; how close the gateway gets to the bare publisher: the gateway also parses, validates and answers HTTP (one event per request, at most one per connection in flight), and fans each event out from its live tail' : ''}`,
    });
  }
  if (compareSide) {
    const c = summarize(compareSide.runs);
    const compareRatios = compareSide.runs.map((r, i) => r.requestsPerSecond / jsSide.runs[i]!.requestsPerSecond);
    const note = 'B = BENCH_GATEWAY_B; baseline = this build, measured in the same rounds';
    rows.push(
      {
        scenario,
        metric: 'B: throughput vs this build',
        value: c.rps,
        unit: 'req/s',
        baseline: j.rps,
        target: `${median(compareRatios).toFixed(2)}x`,
        verdict: 'info',
        note: `${note}; per-round ratios ${compareRatios.map((r) => r.toFixed(2)).join(', ')}`,
      },
      {
        scenario,
        metric: 'B: gateway CPU per accepted event',
        value: c.gatewayMicros,
        unit: 'µs',
        baseline: j.gatewayMicros,
        target: `${(c.gatewayMicros / j.gatewayMicros).toFixed(2)}x`,
        verdict: 'info',
      },
      {
        scenario,
        metric: 'B: nats-server CPU per accepted event',
        value: c.natsMicros,
        unit: 'µs',
        baseline: j.natsMicros,
        target: `${(c.natsMicros / j.natsMicros).toFixed(2)}x`,
        verdict: 'info',
      },
      {
        scenario,
        metric: 'B: latency p50 / p99',
        value: `${c.p50.toFixed(2)} / ${c.p99.toFixed(2)} ms`,
        baseline: `${j.p50.toFixed(2)} / ${j.p99.toFixed(2)} ms`,
        verdict: 'info',
      },
    );
  }
  rows.push({
    scenario,
    metric: 'non-2xx / errors (jetstream, memory)',
    value: j.failed,
    baseline: m.failed,
    target: '0',
    verdict: j.failed === 0 && m.failed === 0 && sides.every((side) => summarize(side.runs).failed === 0) ? 'PASS' : 'FAIL',
  });
  sides.forEach((side, i) => {
    const { report, accepted } = delivery[i]!;
    const ok = report.received === accepted && report.received >= side.ok && report.received - side.ok <= inFlightSlack && report.errors === 0;
    rows.push({
      scenario,
      metric: `subscriber received (${side.label})`,
      value: report.received,
      baseline: accepted,
      target: `= accepted; 2xx seen ${side.ok}`,
      verdict: ok ? 'PASS' : 'FAIL',
      note: `baseline column = the gateway's accepted counter; catch-up after each run ${side.catchUpMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s; stream errors ${report.errors}${report.errorSamples.length ? ` (${report.errorSamples.join('; ')})` : ''}`,
    });
  });
  return rows;
}
