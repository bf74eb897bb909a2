// Scenario 1: HTTP ingest throughput and latency, the gateway against a bare fastify handler and
// a bare node:http handler measured in the same run (same payload, same core, same load
// generator, alternating rounds), with one StreamEvents subscriber attached to the gateway that
// must receive every accepted event. fastify against node:http is the framework's cost; the
// gateway against fastify is ours.
import { sleep } from '../lib/clock.js';
import { startGateway } from '../lib/gateway.js';
import { HTTP_EVENT } from '../lib/bench-event.js';
import { runLoad, type LoadResult } from '../lib/load-http.js';
import { freePort } from '../../harness/ports.js';
import { CORES, cpuProfileArgs, cpuSeconds, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { machineWindow } from '../lib/machine.js';
import { mean, median } from '../lib/stats.js';
import { startSubscribers } from '../lib/workers.js';

export interface HttpIngestOptions {
  connections: number;
  durationS: number;
  warmupS: number;
  /** Alternating baseline/gateway rounds; more rounds average out background noise. */
  rounds: number;
  target: number;
  /** SUBSCRIBER_QUEUE_SIZE for the gateway under test. */
  subscriberQueue: number;
}

/** A baseline server from fixtures/ (`name`: bare-fastify, bare-node-http), on the server core. */
async function startBare(name: string): Promise<{ url: string; pid: number; stop: () => Promise<unknown> }> {
  const port = await freePort();
  // BENCH_CPU_PROF profiles the baselines too, so the profiles can be compared.
  const child = spawnNodeWorker(`fixtures/${name}.js`, CORES.server, { PORT: String(port) }, cpuProfileArgs(name));
  const url = `http://127.0.0.1:${port}/api/v1/events`;
  await waitFor(
    `the ${name} baseline`,
    async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: HTTP_EVENT })).status === 200,
    15_000,
  );
  return { url, pid: child.pid!, stop: () => stop(child) };
}

/** A load run plus the CPU the server used during it. */
type Measured = LoadResult & { serverCpuS: number; otherCores: number };

/** Runs load against `url` and measures the server's CPU time over the run: requests per
 * CPU-second is immune to other tenants stealing the core, which raw req/s is not. */
async function measured(pid: number, options: Parameters<typeof runLoad>[0]): Promise<Measured> {
  const before = cpuSeconds(pid);
  const machine = machineWindow();
  const result = await runLoad(options);
  const serverCpuS = cpuSeconds(pid) - before;
  // Other work: busy cores beyond the server and the load generator's core (at most one core).
  const load = machine(serverCpuS);
  return { ...result, serverCpuS, otherCores: Math.max(0, load.otherCores - 1) };
}

const perCpu = (run: Measured) => run.ok / run.serverCpuS;
/** Efficiency may wobble with noise, but a drop beyond this from first to last round is a trend. */
const STABLE = 0.7;

function summarize(runs: Measured[]) {
  return {
    perCpuS: runs.reduce((n, r) => n + r.ok, 0) / runs.reduce((n, r) => n + r.serverCpuS, 0),
    cpuShare: mean(runs.map((r) => r.serverCpuS / r.durationS)),
    rps: mean(runs.map((r) => r.requestsPerSecond)),
    p50: mean(runs.map((r) => r.p50Ms)),
    p99: mean(runs.map((r) => r.p99Ms)),
    failed: runs.reduce((n, r) => n + r.failed, 0),
  };
}

export async function httpIngest(options: HttpIngestOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const bare = await startBare('bare-fastify');
  const bareHttp = await startBare('bare-node-http');
  // The subscriber's client shares the client core with the load generator, which keeps that
  // core busy, so it reads in bursts; with the default queue (1,000 events, 40 ms at this rate)
  // the gateway cuts it off. A deep queue lets it lag and catch up, so every event is counted.
  const gateway = await startGateway({ env: { SUBSCRIBER_QUEUE_SIZE: String(options.subscriberQueue) } });
  const subscriber = await startSubscribers(gateway, 1, 1);
  const gatewayUrl = `http://127.0.0.1:${gateway.http}/api/v1/events`;
  const load = { body: HTTP_EVENT, connections: options.connections };
  const bareRuns: Measured[] = [];
  const bareHttpRuns: Measured[] = [];
  const gatewayRuns: Measured[] = [];
  let gatewayOk = 0;
  const catchUpMs: number[] = [];
  const catchUp = () =>
    waitFor('the subscriber to catch up', async () => (await subscriber.report()).received >= (await gateway.accepted()), 30_000, 50).catch(
      () => undefined,
    );
  try {
    for (let round = 1; round <= options.rounds; round++) {
      await runLoad({ ...load, url: bareHttp.url, durationS: options.warmupS });
      const h = await measured(bareHttp.pid, { ...load, url: bareHttp.url, durationS: options.durationS });
      bareHttpRuns.push(h);
      log(
        `  round ${round}: bare node:http ${h.requestsPerSecond.toFixed(0)} req/s (p99 ${h.p99Ms.toFixed(2)} ms, server CPU ${((100 * h.serverCpuS) / h.durationS).toFixed(0)}%, ${h.tool} CPU ${(100 * h.clientCpu).toFixed(0)}%, other work >= ${h.otherCores.toFixed(2)} cores)`,
      );
      await runLoad({ ...load, url: bare.url, durationS: options.warmupS });
      const b = await measured(bare.pid, { ...load, url: bare.url, durationS: options.durationS });
      bareRuns.push(b);
      log(
        `  round ${round}: bare fastify ${b.requestsPerSecond.toFixed(0)} req/s (p99 ${b.p99Ms.toFixed(2)} ms, server CPU ${((100 * b.serverCpuS) / b.durationS).toFixed(0)}%, ${b.tool} CPU ${(100 * b.clientCpu).toFixed(0)}%, other work >= ${b.otherCores.toFixed(2)} cores)`,
      );
      const warm = await runLoad({ ...load, url: gatewayUrl, durationS: options.warmupS });
      const g = await measured(gateway.pid, { ...load, url: gatewayUrl, durationS: options.durationS });
      gatewayRuns.push(g);
      gatewayOk += warm.ok + g.ok;
      // The subscriber may still be behind; the gateway keeps writing to it until it catches
      // up, which would eat into the next baseline run on the same core. Wait for it.
      const lagStart = Date.now();
      await catchUp();
      catchUpMs.push(Date.now() - lagStart);
      log(
        `  round ${round}: gateway      ${g.requestsPerSecond.toFixed(0)} req/s (p99 ${g.p99Ms.toFixed(2)} ms, server CPU ${((100 * g.serverCpuS) / g.durationS).toFixed(0)}%, ${g.tool} CPU ${(100 * g.clientCpu).toFixed(0)}%, other work >= ${g.otherCores.toFixed(2)} cores)`,
      );
    }

    // Everything the gateway accepted has reached the subscriber (or 30 s passed): compare.
    await catchUp();
    await sleep(300);
    const received = (await subscriber.report()).received;
    const gatewayAccepted = await gateway.accepted();
    const subscriberReport = await subscriber.report();

    const b = summarize(bareRuns);
    const h = summarize(bareHttpRuns);
    const g = summarize(gatewayRuns);
    const httpRatios = gatewayRuns.map((r, i) => r.requestsPerSecond / bareHttpRuns[i]!.requestsPerSecond);
    const frameworkRatios = bareRuns.map((r, i) => r.requestsPerSecond / bareHttpRuns[i]!.requestsPerSecond);
    // Median of the per-round ratios: a round disturbed by other work on the machine moves a
    // mean of throughputs, much less the median of paired ratios.
    const roundRatios = gatewayRuns.map((r, i) => r.requestsPerSecond / bareRuns[i]!.requestsPerSecond);
    const ratio = median(roundRatios);
    // The load generator stops on the clock: requests in flight then (at most one per
    // connection per run) are accepted by the gateway but never counted as 2xx by the client.
    const inFlightSlack = options.connections * options.rounds * 2;
    const delivered = received === gatewayAccepted && received >= gatewayOk && received - gatewayOk <= inFlightSlack && subscriberReport.errors === 0;
    const scenario = 'http ingest';
    const rows: Row[] = [
      {
        scenario,
        metric: 'throughput (2xx/s)',
        value: g.rps,
        unit: 'req/s',
        baseline: b.rps,
        target: `${ratio.toFixed(2)}x (>= ${options.target}x)`,
        verdict: ratio >= options.target ? 'PASS' : 'FAIL',
        note: `${options.connections} connections, ${options.durationS} s x ${options.rounds} rounds (after ${options.warmupS} s warm-up), ${gatewayRuns[0]!.tool}; baseline = bare fastify POST handler; values are means over rounds, the ratio is the median of per-round ratios ${roundRatios.map((r) => r.toFixed(2)).join(', ')}`,
      },
      {
        scenario,
        metric: 'requests per server CPU-second',
        value: g.perCpuS,
        unit: 'req/CPU-s',
        baseline: b.perCpuS,
        target: `${(g.perCpuS / b.perCpuS).toFixed(2)}x (>= ${options.target}x)`,
        verdict: g.perCpuS / b.perCpuS >= options.target ? 'PASS' : 'FAIL',
        note: `2xx responses over the server process's CPU time (robust to CPU stolen by other work on the machine); the servers got ${(100 * g.cpuShare).toFixed(0)}% (gateway) and ${(100 * b.cpuShare).toFixed(0)}% (bare) of a core`,
      },
      {
        scenario,
        metric: 'gateway req/CPU-s, last / first round',
        value: perCpu(gatewayRuns.at(-1)!) / perCpu(gatewayRuns[0]!),
        unit: 'x',
        target: `>= ${STABLE}x`,
        verdict: perCpu(gatewayRuns.at(-1)!) / perCpu(gatewayRuns[0]!) >= STABLE ? 'PASS' : 'FAIL',
        note: `the gateway's efficiency should not fall as it runs (per round: ${gatewayRuns.map((r) => perCpu(r).toFixed(0)).join(', ')} req/CPU-s; bare: ${bareRuns.map((r) => perCpu(r).toFixed(0)).join(', ')})`,
      },
      {
        scenario,
        metric: 'throughput vs bare node:http',
        value: g.rps,
        unit: 'req/s',
        baseline: h.rps,
        target: `${median(httpRatios).toFixed(2)}x`,
        verdict: 'info',
        note: `baseline = node:http alone (fixtures/bare-node-http.ts: read, JSON.parse, reply); per-round ratios ${httpRatios.map((r) => r.toFixed(2)).join(', ')}; per server CPU-second ${(g.perCpuS / h.perCpuS).toFixed(2)}x (${g.perCpuS.toFixed(0)} vs ${h.perCpuS.toFixed(0)} req/CPU-s)`,
      },
      {
        scenario,
        metric: 'bare fastify vs bare node:http (framework cost)',
        value: b.rps,
        unit: 'req/s',
        baseline: h.rps,
        target: `${median(frameworkRatios).toFixed(2)}x`,
        verdict: 'info',
        note: `the ceiling fastify leaves the gateway: per-round ratios ${frameworkRatios.map((r) => r.toFixed(2)).join(', ')}; per server CPU-second ${(b.perCpuS / h.perCpuS).toFixed(2)}x`,
      },
      { scenario, metric: 'latency p50', value: g.p50, unit: 'ms', baseline: b.p50, target: `${(g.p50 / b.p50).toFixed(2)}x`, verdict: 'info' },
      { scenario, metric: 'latency p99', value: g.p99, unit: 'ms', baseline: b.p99, target: `${(g.p99 / b.p99).toFixed(2)}x`, verdict: 'info' },
      {
        scenario,
        metric: 'non-2xx / errors',
        value: g.failed,
        baseline: b.failed,
        target: '0',
        verdict: g.failed === 0 ? 'PASS' : 'FAIL',
      },
      {
        scenario,
        metric: 'subscriber received',
        value: received,
        baseline: gatewayAccepted,
        target: `= accepted; 2xx seen ${gatewayOk}`,
        verdict: delivered ? 'PASS' : 'FAIL',
        note: `baseline column = gateway's accepted counter; the load generator saw ${gatewayOk} 2xx (warm-ups included), ${received - gatewayOk} fewer than received: requests in flight when it stopped (limit ${inFlightSlack}); after each gateway run the subscriber needed ${catchUpMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s to catch up; subscriber stream errors ${subscriberReport.errors}${subscriberReport.errorSamples.length ? ` (${subscriberReport.errorSamples.join('; ')})` : ''}`,
      },
    ];
    return { rows, raw: { bareRuns, bareHttpRuns, gatewayRuns, received, gatewayAccepted, gatewayOk } };
  } finally {
    await subscriber.close();
    await Promise.all([gateway.stop(), bare.stop(), bareHttp.stop()]);
  }
}
