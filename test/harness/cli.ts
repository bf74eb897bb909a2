// Starts/stops a local control plane for a person (`make cluster-up` / `make cluster-down`):
//   node dist/test/harness/cli.js up [--profile api|full] [--dir DIR]   (last stdout line: kubeconfig path)
//   node dist/test/harness/cli.js down [--dir DIR]
//   node dist/test/harness/cli.js status [--dir DIR]
// The processes run detached (own session and process group) and outlive this command; their state
// (certificates, kubeconfig, etcd data, logs, state.json) lives in DIR, default <repo>/.run/cluster.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './binaries.js';
import { isAlive, readState, startControlPlane, stopFromState, type Profile } from './control-plane.js';

const log = (message: string): void => {
  process.stderr.write(`[cluster] ${message}\n`);
};

function usage(): never {
  process.stderr.write('usage: cli.js up [--profile api|full] [--dir DIR] | down [--dir DIR] | status [--dir DIR]\n');
  process.exit(2);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { profile: { type: 'string', default: 'api' }, dir: { type: 'string' } },
  });
  const command = positionals[0];
  const dir = resolve(values.dir ?? join(repoRoot(), '.run', 'cluster'));
  const state = readState(dir);
  const running = state !== undefined && state.processes.length > 0 && state.processes.every((p) => isAlive(p.pid));

  switch (command) {
    case 'up': {
      const profile = values.profile;
      if (profile !== 'api' && profile !== 'full') usage();
      if (running && state !== undefined) {
        if (state.profile !== profile) {
          throw new Error(`a '${state.profile}' control plane is already running in ${dir}; run cluster-down first`);
        }
        log(`already running (${state.profile}) at ${state.server}`);
        process.stdout.write(`${state.kubeconfigPath}\n`);
        return;
      }
      if (existsSync(dir)) {
        log(`cleaning up a stale control plane in ${dir}`);
        await stopFromState(dir);
      }
      const cp = await startControlPlane({ profile: profile as Profile, dir, persistent: true, log });
      log(`up: ${cp.processes.map((p) => `${p.name}[${p.pid}]`).join(' ')}; logs in ${join(dir, 'logs')}`);
      log(`try: kubectl --kubeconfig ${cp.kubeconfigPath} get ns`);
      process.stdout.write(`${cp.kubeconfigPath}\n`);
      return;
    }
    case 'down': {
      if (!existsSync(dir)) {
        log(`nothing to stop (${dir} does not exist)`);
        return;
      }
      const stopped = await stopFromState(dir);
      log(`stopped ${stopped} process(es), removed ${dir}`);
      return;
    }
    case 'status': {
      if (state === undefined) {
        log('not running');
        process.exitCode = 1;
        return;
      }
      for (const p of state.processes) log(`${p.name} pid ${p.pid}: ${isAlive(p.pid) ? 'running' : 'gone'}`);
      process.stdout.write(`${state.kubeconfigPath}\n`);
      if (!running) process.exitCode = 1;
      return;
    }
    default:
      usage();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
