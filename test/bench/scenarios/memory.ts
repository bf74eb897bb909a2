// Scenario: gateway memory, three ways, each against a baseline measured in the same run.
// - Idle: RSS after a settling pause, against a bare Node process (the runtime's floor), a process
//   that loads the gateway's code and starts nothing (what the code itself costs), and the same
//   gateway on V8's default heap settings (what gatewayNodeOptions() saves).
// - Per open stream: RSS with N live StreamEvents streams less idle, over N, against the same
//   streams on a bare grpc-js server (what grpc-js and HTTP/2 themselves cost per stream).
// - Sustained load: one event per POST at a fixed rate with one subscriber attached, RSS sampled
//   throughout; its peak against idle, and its creep (the last quarter against the second),
//   for the gateway and, right after, the same gateway on V8's defaults.
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { gatewayNodeOptions } from '../../../src/config/node-options.js';
import { startGateway, type GatewayProcess } from '../lib/gateway.js';
import { collectGarbage, inspectFlag } from '../lib/inspector.js';
import { activeStreams } from '../lib/proto.js';
import { freePort } from '../../harness/ports.js';
import { CORES, rssBytes, settledRss, spawnNodeWorker, stop, waitFor } from '../lib/processes.js';
import type { Row } from '../lib/report.js';
import { mean } from '../lib/stats.js';
import { startBatchProducer, startSubscribers, type StreamServer } from '../lib/workers.js';

export interface MemoryOptions {
  streams: number;
  channels: number;
  settleMs: number;
  /** Offered events/s and seconds of each sustained run (0 seconds: skipped). */
  sustainedRate: number;
  sustainedSeconds: number;
  /** RSS sampling period during a sustained run. */
  sampleMs: number;
  targets: { idleMiB: number; perStreamKiB: number; loadedOverIdle: number; creep: number };
}

const MiB = 2 ** 20;
const KiB = 1024;

/** Private resident memory (RSS less the pages of the node binary and shared libraries). */
function rssAnon(pid: number): number {
  const match = /^RssAnon:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * KiB : Number.NaN;
}

/** A process whose memory is measured: its pid, and its inspector's port for a full GC first. */
interface Measured {
  pid: number;
  inspector: number;
}

async function startWorker(
  script: string,
  ready: (port: number, inspector: number) => Promise<boolean>,
  nodeArgs: string[] = [],
): Promise<Measured & { child: ChildProcess; port: number }> {
  const [port, inspector] = [await freePort(), await freePort()];
  const child = spawnNodeWorker(script, CORES.server, { PORT: String(port) }, [inspectFlag(inspector), ...nodeArgs]);
  await waitFor(script, () => ready(port, inspector), 15_000, 100);
  return { child, port, pid: child.pid!, inspector };
}

async function startMeasuredGateway(env: Record<string, string>, v8Options?: string[]): Promise<GatewayProcess & Measured> {
  const inspector = await freePort();
  const gateway = await startGateway({ env, nodeArgs: [inspectFlag(inspector)], ...(v8Options ? { v8Options } : {}) });
  return Object.assign(gateway, { inspector });
}

/** RSS after a full GC and the settling pause (the median of 5 reads). */
async function rssAfterGc(target: Measured, settleMs: number): Promise<number> {
  await collectGarbage(target.inspector);
  return settledRss(target.pid, settleMs);
}

/** RSS and its private part for one process, idle. */
async function idleOf(target: Measured, settleMs: number): Promise<{ rss: number; anon: number }> {
  const rss = await rssAfterGc(target, settleMs);
  return { rss, anon: rssAnon(target.pid) };
}

/** Per-stream RSS on a server: opens `streams` live streams, settles, closes them. */
async function perStream(server: StreamServer & Measured, options: MemoryOptions): Promise<{ idle: number; loaded: number; perStream: number }> {
  const idle = await rssAfterGc(server, options.settleMs);
  const subscribers = await startSubscribers(server, options.streams, options.channels);
  try {
    const loaded = await rssAfterGc(server, options.settleMs);
    return { idle, loaded, perStream: (loaded - idle) / options.streams };
  } finally {
    await subscribers.close();
  }
}

interface Sustained {
  idle: number;
  samples: number[];
  peak: number;
  /** Mean RSS of the last quarter over that of the second quarter: 1.0 is flat. */
  creep: number;
  after: number;
  ok: number;
  failed: number;
  received: number;
  subscriberErrors: number;
}

/** One event per POST at `sustainedRate` for `sustainedSeconds`, one subscriber attached, RSS sampled. */
async function sustained(gateway: GatewayProcess & Measured, options: MemoryOptions): Promise<Sustained> {
  const idle = await rssAfterGc(gateway, options.settleMs);
  const subscriber = await startSubscribers(gateway, 1, 1);
  const producer = startBatchProducer();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssBytes(gateway.pid)), options.sampleMs);
  try {
    const report = await producer.single(`http://127.0.0.1:${gateway.http}/api/v1/events`, options.sustainedRate, options.sustainedSeconds * 1000);
    clearInterval(sampler);
    const accepted = await gateway.accepted();
    await waitFor('the subscriber to catch up', async () => (await subscriber.report()).received >= accepted, 30_000, 100).catch(() => undefined);
    const after = await rssAfterGc(gateway, options.settleMs);
    const { received, errors } = await subscriber.report();
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const creep = mean(samples.slice(-quarter)) / mean(samples.slice(quarter, 2 * quarter));
    return { idle, samples, peak: Math.max(...samples), creep, after, ok: report.ok, failed: report.failed, received, subscriberErrors: errors };
  } finally {
    clearInterval(sampler);
    await Promise.all([subscriber.close(), producer.close()]);
  }
}

export async function memory(options: MemoryOptions, log: (line: string) => void): Promise<{ rows: Row[]; raw: object }> {
  const scenario = 'memory';
  const rows: Row[] = [];
  const mib = (bytes: number) => bytes / MiB;
  const env = { MAX_CONNECTIONS: String(options.streams + 100) };

  // Idle: the runtime's floor, the gateway's code alone, the gateway as shipped, the gateway on V8's defaults.
  // Nothing to ask a bare Node process or the code alone: each is ready when its inspector answers.
  const inspectorAnswers = async (_port: number, inspector: number) => (await fetch(`http://127.0.0.1:${inspector}/json/list`)).ok;
  const floor = await startWorker('fixtures/bare-node.js', inspectorAnswers);
  const code = await startWorker('fixtures/gateway-code.js', inspectorAnswers, gatewayNodeOptions());
  const gateway = await startMeasuredGateway(env);
  const defaults = await startMeasuredGateway(env, []);
  type Idle = { rss: number; anon: number };
  let idle: { floor: Idle; code: Idle; gateway: Idle; defaults: Idle };
  try {
    const settled = (target: Measured) => idleOf(target, options.settleMs);
    const [f, c, g, d] = await Promise.all([settled(floor), settled(code), settled(gateway), settled(defaults)]);
    idle = { floor: f, code: c, gateway: g, defaults: d };
  } finally {
    await Promise.all([stop(floor.child), stop(code.child), defaults.stop()]);
  }
  log(
    `  idle RSS: gateway ${mib(idle.gateway.rss).toFixed(1)} MiB (private ${mib(idle.gateway.anon).toFixed(1)}), its code alone ${mib(idle.code.rss).toFixed(1)} MiB, on V8 defaults ${mib(idle.defaults.rss).toFixed(1)} MiB, bare node ${mib(idle.floor.rss).toFixed(1)} MiB`,
  );
  rows.push(
    {
      scenario,
      metric: 'gateway RSS idle',
      value: mib(idle.gateway.rss),
      unit: 'MiB',
      baseline: mib(idle.floor.rss),
      target: `<= ${options.targets.idleMiB} MiB; ${(idle.gateway.rss / idle.floor.rss).toFixed(2)}x bare node`,
      verdict: mib(idle.gateway.rss) <= options.targets.idleMiB ? 'PASS' : 'FAIL',
      note: `baseline = a bare Node process; private (anonymous) memory ${mib(idle.gateway.anon).toFixed(1)} MiB vs ${mib(idle.floor.anon).toFixed(1)} MiB, the rest is the node binary's and libraries' pages; median of 5 reads after a full GC (through the inspector) and ${options.settleMs} ms`,
    },
    {
      scenario,
      metric: "gateway RSS idle, the gateway's code loaded and nothing started",
      value: mib(idle.code.rss),
      unit: 'MiB',
      baseline: mib(idle.floor.rss),
      target: `code +${mib(idle.code.rss - idle.floor.rss).toFixed(1)} MiB over bare node, running state +${mib(idle.gateway.rss - idle.code.rss).toFixed(1)} MiB over the code`,
      verdict: 'info',
      note: `fixtures/gateway-code.ts imports the gateway's modules and reads the default configuration (private memory ${mib(idle.code.anon).toFixed(1)} MiB); libraries that load more of themselves when servers and routes are built count as running state`,
    },
    {
      scenario,
      metric: 'gateway RSS idle, V8 settings vs V8 defaults',
      value: mib(idle.gateway.rss),
      unit: 'MiB',
      baseline: mib(idle.defaults.rss),
      target: `${(idle.gateway.rss / idle.defaults.rss).toFixed(2)}x`,
      verdict: 'info',
      note: 'baseline = the same gateway started without gatewayNodeOptions() (as before they existed)',
    },
  );

  // Per stream: the gateway against bare grpc-js.
  try {
    const bare = await startWorker('fixtures/bare-grpc-fanout.js', async (port) => (await activeStreams(port)) >= 0);
    let bareCost: Awaited<ReturnType<typeof perStream>>;
    try {
      bareCost = await perStream({ ...bare, grpc: bare.port, activeStreams: () => activeStreams(bare.port) }, options);
    } finally {
      await stop(bare.child);
    }
    const ours = await perStream(gateway, options);
    log(
      `  per stream: gateway ${(ours.perStream / KiB).toFixed(2)} KiB (${mib(ours.idle).toFixed(1)} -> ${mib(ours.loaded).toFixed(1)} MiB), bare grpc-js ${(bareCost.perStream / KiB).toFixed(2)} KiB`,
    );
    rows.push({
      scenario,
      metric: 'RSS per open stream',
      value: ours.perStream / KiB,
      unit: 'KiB',
      baseline: bareCost.perStream / KiB,
      target: `<= ${options.targets.perStreamKiB} KiB; ${(ours.perStream / bareCost.perStream).toFixed(2)}x bare grpc-js`,
      verdict: ours.perStream / KiB <= options.targets.perStreamKiB ? 'PASS' : 'FAIL',
      note: `(RSS with ${options.streams} live StreamEvents streams - idle) / ${options.streams}, ${options.channels} client connections; baseline = the same streams on a bare grpc-js server (fixtures/bare-grpc-fanout.ts): what grpc-js and HTTP/2 cost per stream before the gateway adds anything`,
    });

    // Sustained load: the gateway as shipped, then the same on V8's defaults.
    if (options.sustainedSeconds > 0) {
      const shipped = await sustained(gateway, options);
      await gateway.stop();
      const onDefaults = await startMeasuredGateway(env, []);
      let base: Sustained;
      try {
        base = await sustained(onDefaults, options);
      } finally {
        await onDefaults.stop();
      }
      for (const [name, run] of [
        ['gateway', shipped],
        ['V8 defaults', base],
      ] as const) {
        log(
          `  sustained ${options.sustainedRate} ev/s for ${options.sustainedSeconds} s (${name}): idle ${mib(run.idle).toFixed(1)} MiB, peak ${mib(run.peak).toFixed(1)}, creep ${run.creep.toFixed(3)}x, after ${mib(run.after).toFixed(1)}; 2xx ${run.ok}, failed ${run.failed}, subscriber received ${run.received} (errors ${run.subscriberErrors}); samples ${run.samples.map((s) => mib(s).toFixed(0)).join(' ')}`,
        );
      }
      const loadedOverIdle = shipped.peak / idle.gateway.rss;
      rows.push(
        {
          scenario,
          metric: `gateway RSS peak, ${options.sustainedRate} ev/s for ${options.sustainedSeconds} s`,
          value: mib(shipped.peak),
          unit: 'MiB',
          baseline: mib(idle.gateway.rss),
          target: `${loadedOverIdle.toFixed(2)}x idle (<= ${options.targets.loadedOverIdle}x)`,
          verdict: loadedOverIdle <= options.targets.loadedOverIdle ? 'PASS' : 'FAIL',
          note: `one event per POST, open loop, one StreamEvents subscriber attached; 2xx ${shipped.ok}, failed ${shipped.failed}; the subscriber received ${shipped.received}; RSS ${mib(shipped.after).toFixed(1)} MiB after the run and a full GC; with V8's defaults the peak was ${mib(base.peak).toFixed(1)} MiB`,
        },
        {
          scenario,
          metric: 'gateway RSS creep under sustained load',
          value: shipped.creep,
          unit: 'x',
          baseline: base.creep,
          target: `<= ${options.targets.creep}x`,
          verdict: shipped.creep <= options.targets.creep ? 'PASS' : 'FAIL',
          note: `mean RSS of the run's last quarter over its second quarter (sampled every ${options.sampleMs} ms); baseline = the same run on V8's defaults. The memory log's history (HISTORY_SIZE) and duplicate window (DEDUPE_SIZE) fill during the first part and then hold steady`,
        },
      );
      return { rows, raw: { idle, perStream: { gateway: ours, bare: bareCost }, sustained: { gateway: shipped, defaults: base } } };
    }
    return { rows, raw: { idle, perStream: { gateway: ours, bare: bareCost } } };
  } finally {
    await gateway.stop();
  }
}
