// Child processes of the bench: spawned pinned to a CPU core, tracked, and always killed when
// the bench ends, fails or is interrupted, so no gateway or worker outlives a run.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './clock.js';

/** dist/test/bench, where the compiled fixtures and workers live. */
export const BENCH_DIST = dirname(dirname(fileURLToPath(import.meta.url)));
export const PROJECT_DIST = dirname(dirname(BENCH_DIST));

const children = new Set<ChildProcess>();

/** Cores: 0 for the system under test, 1 for load generators and clients (when there are two),
 * and for the NATS JetStream server the JetStream scenarios store events in (lib/nats.ts says why). */
export const CORES = { server: '0', client: '1', store: '1' } as const;

function hasTaskset(): boolean {
  return ['/usr/bin/taskset', '/bin/taskset', '/usr/local/bin/taskset'].some((path) => existsSync(path));
}

export const PINNING = hasTaskset() && availableParallelism() >= 2;

export interface SpawnOptions {
  core: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}

/** Spawns `command args` on one core (taskset execs it, so the pid is the program's own). */
export function spawnPinned(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const [file, argv] = PINNING ? ['taskset', ['-c', options.core, command, ...args]] : [command, args];
  const child = spawn(file, argv, {
    env: { ...process.env, ...options.env },
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Node running one of our compiled scripts, with an IPC channel for commands and reports. */
export function spawnNodeWorker(script: string, core: string, env?: NodeJS.ProcessEnv, nodeArgs: string[] = []): ChildProcess {
  return spawnPinned(process.execPath, [...nodeArgs, join(BENCH_DIST, script)], {
    core,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves to the exit code. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited(child);
  clearTimeout(timer);
  return code;
}

export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

let cleanupInstalled = false;
/** Kill every child on exit, on SIGINT/SIGTERM and on an uncaught error. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench: ${error.stack ?? String(error)}\n`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`bench: unhandled rejection: ${(error as Error)?.stack ?? String(error)}\n`);
    killAll();
    process.exit(1);
  });
}

/** Resident set size in bytes, from /proc (Linux only). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used, in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** RSS after letting the process settle: the median of a few samples over `settleMs`. */
export async function settledRss(pid: number, settleMs = 3000, samples = 5): Promise<number> {
  await sleep(settleMs);
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssBytes(pid));
    await sleep(200);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)]!;
}

/** Polls `probe` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Keeps the last lines a process wrote, to explain a failure (and keeps its pipes drained). */
export function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

/** Node arguments that write a V8 CPU profile into BENCH_CPU_PROF (a directory) when the process
 * exits, named `name` (else Node's own name); none when BENCH_CPU_PROF is unset. */
export function cpuProfileArgs(name?: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return [];
  return ['--cpu-prof', '--cpu-prof-dir', dir, ...(name ? ['--cpu-prof-name', `${name}.cpuprofile`] : [])];
}
