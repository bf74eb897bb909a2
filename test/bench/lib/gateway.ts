// The system under test: a real gateway process (dist/gateway/main.js) on its own core, with
// explicit free ports, ready when GET /ready answers 200, and its counts readable over GetMetrics.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CORES, cpuProfileArgs, PROJECT_DIST, spawnPinned, stop, tail, waitFor } from './processes.js';
import { freePorts } from '../../harness/ports.js';
import { activeStreams, serverMetrics } from './proto.js';
import { gatewayNodeOptions } from '../../../src/config/node-options.js';

export interface GatewayProcess {
  child: ChildProcess;
  pid: number;
  http: number;
  grpc: number;
  health: number;
  /** Open gRPC streams, as the gateway counts them (GetMetrics). */
  activeStreams(): Promise<number>;
  /** Events the gateway accepted since start (GetMetrics total_events). */
  accepted(): Promise<number>;
  stop(): Promise<number | null>;
}

export interface GatewayOptions {
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** V8 settings in place of the gateway's own (gatewayNodeOptions(), as the image and the operator set them). */
  v8Options?: string[];
  /** Ports chosen beforehand (freePorts(3)), for a gateway whose id or URL others need first. */
  ports?: [number, number, number];
  /** The gateway's entry point; default this build's dist/gateway/main.js (another build's, to compare two builds in one run). */
  main?: string;
}

export async function startGateway(options: GatewayOptions = {}): Promise<GatewayProcess> {
  const [http, grpc, health] = options.ports ?? ((await freePorts(3)) as [number, number, number]);
  const env = {
    BIND_HOST: '127.0.0.1',
    HTTP_PORT: String(http),
    GRPC_PORT: String(grpc),
    HEALTH_CHECK_PORT: String(health),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  // BENCH_CPU_PROF=<dir>: every gateway writes a V8 CPU profile there when it exits.
  const profile = cpuProfileArgs();
  // BENCH_GATEWAY_CONFIG=<file>: a gateway config file, for settings with no environment variable.
  const config = process.env.BENCH_GATEWAY_CONFIG ? ['--config', process.env.BENCH_GATEWAY_CONFIG] : [];
  const v8 = options.v8Options ?? gatewayNodeOptions();
  const child = spawnPinned(
    process.execPath,
    [...v8, ...profile, ...(options.nodeArgs ?? []), options.main ?? join(PROJECT_DIST, 'gateway/main.js'), ...config],
    {
      core: CORES.server,
      env,
    },
  );
  const output = tail(child);
  let exitedEarly = false;
  child.once('exit', () => (exitedEarly = true));
  await waitFor(
    'the gateway to be ready',
    async () => {
      if (exitedEarly) throw new Error(`gateway exited during startup:\n${output()}`);
      const response = await fetch(`http://127.0.0.1:${health}/ready`);
      return response.status === 200;
    },
    15_000,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${output()}`);
  });

  return {
    child,
    pid: child.pid!,
    http,
    grpc,
    health,
    activeStreams: () => activeStreams(grpc),
    accepted: async () => (await serverMetrics(grpc)).total_events,
    stop: () => stop(child, 15_000),
  };
}
