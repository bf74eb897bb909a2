// HTTP load generation: wrk when it is installed (C, so one client core can out-drive one
// server core), otherwise autocannon from node_modules. Either way a fixed number of
// connections for a fixed time, pinned to the client core, reporting the same fields.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORES, cpuSeconds, exited, spawnPinned } from './processes.js';

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  durationS: number;
  /** Share of a core the load generator itself used (near 1: it, not the server, was the limit). */
  clientCpu: number;
  /** Responses with a 2xx status. */
  ok: number;
  /** Responses with any other status, plus socket errors and timeouts. */
  failed: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Where the body's event_id goes; each request gets a distinct one (autocannon's -I syntax). */
export const ID_PLACEHOLDER = '[<id>]';

let runs = 0;

export interface LoadOptions {
  url: string;
  body: string;
  connections: number;
  durationS: number;
}

export function loadTool(): 'wrk' | 'autocannon' {
  if (process.env.BENCH_LOAD_TOOL === 'autocannon') return 'autocannon';
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (error) {
    // wrk --version exits 1 but runs; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'autocannon' : 'wrk';
  }
}

/** Runs the load generator to completion; returns its output and the CPU share it used
 * (sampled from /proc while it runs, since an exited process has no /proc entry). */
async function collect(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ out: string; cpu: number }> {
  const child = spawnPinned(command, args, { core: CORES.client, env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
  const started = Date.now();
  let cpu = 0;
  let sampledAt = started;
  const sampler = setInterval(() => {
    try {
      cpu = cpuSeconds(child.pid!);
      sampledAt = Date.now();
    } catch {
      // exited between samples
    }
  }, 250);
  const code = await exited(child);
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${err || out}`);
  return { out, cpu: cpu / Math.max(0.001, (sampledAt - started) / 1000) };
}

/** wrk's Lua hooks: POST the body with a unique event_id in place of the placeholder (the
 * gateway drops repeated ids as duplicates), and print the summary as one JSON line at the end. */
const WRK_SCRIPT = `
local f = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
local body = f:read("*a")
f:close()
local tag = os.getenv("BENCH_RUN_TAG")
local s, e = body:find("${ID_PLACEHOLDER}", 1, true)
local prefix, suffix = body:sub(1, s - 1), body:sub(e + 1)
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, prefix .. tag .. "-" .. n .. suffix)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tas-bench-'));
  const script = join(dir, 'post.lua');
  const bodyFile = join(dir, 'body.json');
  writeFileSync(script, WRK_SCRIPT);
  writeFileSync(bodyFile, options.body);
  const { out, cpu } = await collect(
    'wrk',
    ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--timeout', '10s', '-s', script, options.url],
    { BENCH_BODY_FILE: bodyFile, BENCH_RUN_TAG: `r${process.pid}-${++runs}` },
  ).finally(() => rmSync(dir, { recursive: true, force: true }));
  const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const s = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
  const durationS = s.duration_us! / 1e6;
  // wrk counts a non-2xx response both as a request and as a status error.
  const ok = s.requests! - s.status_errors!;
  return {
    tool: 'wrk',
    clientCpu: cpu,
    durationS,
    ok,
    failed: s.status_errors! + s.socket_errors!,
    requestsPerSecond: ok / durationS,
    p50Ms: s.p50_us! / 1000,
    p99Ms: s.p99_us! / 1000,
  };
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const cli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const { out, cpu } = await collect(process.execPath, [
    cli,
    '-c',
    String(options.connections),
    '-d',
    String(options.durationS),
    '-m',
    'POST',
    '-H',
    'content-type=application/json',
    '-b',
    options.body,
    '-I',
    '--json',
    '-n',
    options.url,
  ]);
  const r = JSON.parse(out.slice(out.indexOf('{'))) as {
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
    latency: { p50: number; p99: number };
  };
  return {
    tool: 'autocannon',
    clientCpu: cpu,
    durationS: r.duration,
    ok: r['2xx'],
    failed: r.non2xx + r.errors + r.timeouts,
    requestsPerSecond: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return loadTool() === 'wrk' ? runWrk(options) : runAutocannon(options);
}
