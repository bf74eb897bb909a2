// Whole-machine CPU accounting from /proc/stat, to tell how much of the machine other work
// took during a measurement (the bench shares its two cores with builds and test runs).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

interface Snapshot {
  busy: number;
  steal: number;
  total: number;
}

function snapshot(): Snapshot {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busy, steal: steal!, total: busy + idle! + iowait! + steal! };
}

export interface MachineLoad {
  /** Busy share of all cores, 0..1 (our processes included). */
  busy: number;
  /** Share of time the hypervisor ran something else on our vCPUs, 0..1. */
  steal: number;
  /** Busy cores not accounted for by `ownCpuSeconds`: other work on the machine, in cores. */
  otherCores: number;
}

/** Starts a window; the returned function ends it, given the CPU our own processes used. */
export function machineWindow(): (ownCpuSeconds: number) => MachineLoad {
  const start = snapshot();
  const startedAt = process.hrtime.bigint();
  return (ownCpuSeconds) => {
    const end = snapshot();
    const total = end.total - start.total || 1;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const busyCores = ((end.busy - start.busy) / total) * availableParallelism();
    return {
      busy: (end.busy - start.busy) / total,
      steal: (end.steal - start.steal) / total,
      otherCores: Math.max(0, busyCores - ownCpuSeconds / seconds),
    };
  };
}

export function describeLoad(load: MachineLoad): string {
  return `machine busy ${(100 * load.busy).toFixed(0)}%, other work ${load.otherCores.toFixed(2)} cores, steal ${(100 * load.steal).toFixed(0)}%`;
}
