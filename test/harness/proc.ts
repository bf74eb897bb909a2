// Process plumbing for the harness (control plane, NATS): child processes in their own process group
// with their output in a log file, waits for readiness, and a last-resort cleanup that kills every
// group still registered when this process exits or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';

export interface Managed {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
}

/** Starts `command` in its own process group (detached), stdout+stderr appended to `logPath`. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { logPath: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Managed {
  const fd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      done = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  if (child.pid === undefined) {
    throw new Error(`${name}: could not start ${command}`);
  }
  return { name, pid: child.pid, logPath: opts.logPath, child, exited, hasExited: () => done };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal` to the whole process group led by `pid` (falls back to the pid itself). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * SIGTERM the group, wait up to `graceMs`, then SIGKILL; resolves once the leader is gone (and, when
 * `exited` is given because we spawned it, reaped).
 */
export async function stopGroup(pid: number, graceMs = 5_000, exited?: Promise<unknown>): Promise<void> {
  const gone = (): boolean => !isAlive(pid) || isZombie(pid);
  const waitGone = async (ms: number): Promise<boolean> => {
    if (exited !== undefined) {
      return Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
    }
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (gone()) return true;
      await sleep(50);
    }
    return gone();
  };
  signalGroup(pid, 'SIGTERM');
  if (!(await waitGone(graceMs))) {
    signalGroup(pid, 'SIGKILL');
    await waitGone(5_000);
  }
  // The group may still hold members whose leader already exited.
  signalGroup(pid, 'SIGKILL');
}

/** True for a process that has exited but was not yet reaped by its parent. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---- waiting for readiness -----------------------------------------------------------------------

const PORT_ATTEMPTS = 3;

/**
 * Runs `attempt` up to PORT_ATTEMPTS times while a process it started (pushed onto `managed`) dies
 * because its port was taken meanwhile; the ones it started are stopped before the next try.
 */
export async function withPortRetry<T>(name: string, attempt: () => Promise<{ value: T }>, managed: Managed[], saveState: () => void): Promise<T> {
  for (let i = 1; ; i++) {
    const before = managed.length;
    try {
      return (await attempt()).value;
    } catch (err) {
      const started = managed.slice(before);
      const collided = started.some((m) => /address already in use|bind: address/i.test(tail(m.logPath, 50)));
      for (const m of started) await stopGroup(m.pid, 2_000, m.exited);
      managed.splice(before);
      saveState();
      if (!collided || i >= PORT_ATTEMPTS) throw err;
      // Another process grabbed the port between freePorts() and the bind: pick new ports.
      process.stderr.write(`[harness] ${name}: port collision, retrying (${i}/${PORT_ATTEMPTS})\n`);
    }
  }
}

/** Polls `check` until it returns true; fails early (with the log tail) if `proc` exits. */
export async function waitFor(what: string, proc: Managed, deadline: number, check: () => Promise<boolean>): Promise<void> {
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      throw new Error(`${proc.name} exited (${String(await proc.exited)}) while waiting for ${what}; log ${proc.logPath}:\n${tail(proc.logPath)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what} (${lastError}); log ${proc.logPath}:\n${tail(proc.logPath)}`);
}

export async function poll(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what} (${lastError})`);
}

// ---- last-resort cleanup -------------------------------------------------------------------------

interface Registered {
  pids: () => number[];
  dir: string | undefined;
}
const registered = new Set<Registered>();
let hooked = false;

function cleanupSync(): void {
  for (const entry of registered) {
    for (const pid of entry.pids()) signalGroup(pid, 'SIGKILL');
    if (entry.dir !== undefined) rmSync(entry.dir, { recursive: true, force: true });
  }
  registered.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupSync();
  process.removeListener(signal, onSignal);
  // Someone else (e.g. vitest) handles the signal too: let them decide how to exit.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/**
 * Registers process groups (and optionally a directory) to kill/remove synchronously if this process
 * exits or gets SIGINT/SIGTERM/SIGHUP before `unregister()` is called.
 */
export function registerCleanup(pids: () => number[], dir?: string): () => void {
  installHooks();
  const entry: Registered = { pids, dir };
  registered.add(entry);
  return () => {
    registered.delete(entry);
  };
}
