// The state directory of a set of harness processes (a control plane, a NATS cluster): state.json
// naming the owner and the process-group leaders, plus a plain pidfile. Another process can stop
// them from it (`cli.js down`), and the next start reaps the ones whose owner died without cleaning
// up (SIGKILL), so nothing outlives its owner for longer than that.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, signalGroup, stopGroup } from './proc.js';

export const STATE_FILE = 'state.json';

export interface ProcessInfo {
  name: string;
  pid: number;
  logPath: string;
}

/** What every state file holds; each harness adds its own fields. */
export interface OwnedState {
  dir: string;
  /** The process whose exit ends these processes; null when they are meant to outlive it (`up`). */
  ownerPid: number | null;
  /** Command line of the process that started it (for humans inspecting leftovers). */
  ownerCommand: string;
  persistent: boolean;
  processes: ProcessInfo[];
  startedAt: string;
}

export function newOwnedState(dir: string, persistent: boolean): OwnedState {
  return {
    dir,
    ownerPid: persistent ? null : process.pid,
    ownerCommand: process.argv.slice(1).join(' ').slice(0, 300),
    persistent,
    processes: [],
    startedAt: new Date().toISOString(),
  };
}

/** Writes state.json and the pidfile (process-group leaders, one per line: kill -- -PID stops one by hand). */
export function writeState(state: OwnedState): void {
  writeFileSync(join(state.dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  writeFileSync(join(state.dir, 'pids'), state.processes.map((p) => `${p.pid}\n`).join(''));
}

/** Reads a state directory's state.json (undefined if absent or unreadable). */
export function readState<T extends OwnedState = OwnedState>(dir: string): T | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** True if `pid` is alive and still one of ours (its command line mentions the state dir). */
export function belongsTo(pid: number, dir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

/** Stops the processes recorded in a state directory (last started first) and removes it. */
export async function stopFromState(dir: string): Promise<number> {
  const state = readState(dir);
  let stoppedCount = 0;
  if (state !== undefined) {
    for (const p of [...state.processes].reverse()) {
      if (belongsTo(p.pid, dir)) {
        await stopGroup(p.pid, 5_000);
        stoppedCount++;
      } else {
        signalGroup(p.pid, 'SIGKILL'); // a leftover group member, if any; harmless if none
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return stoppedCount;
}

/** Kills and removes temp state dirs named `prefix*` whose owning process died without cleaning up. */
export function reapStale(prefix: string, what: string, log: (message: string) => void = () => undefined): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((e) => e.startsWith(prefix));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join(tmpdir(), entry);
    const state = readState(dir);
    if (state === undefined || state.persistent || state.ownerPid === null || isAlive(state.ownerPid)) continue;
    for (const p of state.processes) if (belongsTo(p.pid, dir)) signalGroup(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    log(`reaped stale ${what} ${dir} (owner ${state.ownerPid} is gone)`);
  }
}
