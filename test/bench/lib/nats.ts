// The NATS JetStream server of the JetStream scenarios: one nats-server node (file storage) from
// the test harness, in its own temp dir, pinned to the client core. Why there: in a deployment
// the store runs in its own pods, not on the gateway's CPU, so the gateway keeps core 0 to itself
// as in every other scenario, and the memory-bus gateway it is compared with has core 0 alone
// too; the store's CPU is measured on its own (per event), and the client core's total load is
// reported so a saturated client core shows.
import { execFileSync } from 'node:child_process';
import { startNats } from '../../harness/nats.js';
import { CORES, PINNING } from './processes.js';

export interface BenchNats {
  url: string;
  /** The nats-server process (its CPU time is the store's cost). */
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchNats(): Promise<BenchNats> {
  const servers = await startNats({ nodes: 1 });
  const pid = servers.pids()[0];
  if (pid === undefined) {
    await servers.stop();
    throw new Error('nats-server is not running after start');
  }
  // -a: every thread of the Go runtime; threads it starts later inherit the mask (and Go >= 1.25
  // lowers GOMAXPROCS to match).
  if (PINNING) execFileSync('taskset', ['-a', '-p', '-c', CORES.store, String(pid)], { stdio: 'ignore' });
  return { url: servers.urls[0]!, pid, stop: () => servers.stop() };
}
