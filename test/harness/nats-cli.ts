// Starts/stops a local JetStream server for a person (`make nats-up` / `make nats-down`):
//   node dist/test/harness/nats-cli.js up [--nodes 1|3] [--dir DIR]   (last stdout line: the client URL(s), comma-separated)
//   node dist/test/harness/nats-cli.js down [--dir DIR]
//   node dist/test/harness/nats-cli.js status [--dir DIR]
// The servers run detached (own process groups) and outlive this command; their config, JetStream store,
// logs and state.json live in DIR, default <repo>/.run/nats. `down` removes DIR, store included.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './binaries.js';
import { startNats, type NatsState } from './nats.js';
import { isAlive } from './proc.js';
import { readState, stopFromState } from './state-dir.js';

const log = (message: string): void => {
  process.stderr.write(`[nats] ${message}\n`);
};

function usage(): never {
  process.stderr.write('usage: nats-cli.js up [--nodes 1|3] [--dir DIR] | down [--dir DIR] | status [--dir DIR]\n');
  process.exit(2);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { nodes: { type: 'string', default: '1' }, dir: { type: 'string' } },
  });
  const dir = resolve(values.dir ?? join(repoRoot(), '.run', 'nats'));
  const state = readState<NatsState>(dir);
  const running = state !== undefined && state.processes.length > 0 && state.processes.every((p) => isAlive(p.pid));

  switch (positionals[0]) {
    case 'up': {
      if (values.nodes !== '1' && values.nodes !== '3') usage();
      const nodes = Number(values.nodes) as 1 | 3;
      if (running && state !== undefined) {
        if (state.urls.length !== nodes) throw new Error(`${state.urls.length} node(s) already running in ${dir}; run nats-down first`);
        log(`already running: ${state.urls.join(',')}`);
        process.stdout.write(`${state.urls.join(',')}\n`);
        return;
      }
      if (existsSync(dir)) {
        log(`cleaning up stale servers in ${dir}`);
        await stopFromState(dir);
      }
      const servers = await startNats({ nodes, dir, persistent: true, log });
      log(`up: pids ${servers.pids().join(' ')}; monitoring ${servers.monitorUrls.join(' ')}; logs and store in ${dir}`);
      process.stdout.write(`${servers.urls.join(',')}\n`);
      return;
    }
    case 'down': {
      if (!existsSync(dir)) {
        log(`nothing to stop (${dir} does not exist)`);
        return;
      }
      const stopped = await stopFromState(dir);
      log(`stopped ${stopped} server(s), removed ${dir}`);
      return;
    }
    case 'status': {
      if (state === undefined) {
        log('not running');
        process.exitCode = 1;
        return;
      }
      for (const p of state.processes) log(`${p.name} pid ${p.pid}: ${isAlive(p.pid) ? 'running' : 'gone'}`);
      process.stdout.write(`${state.urls.join(',')}\n`);
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
