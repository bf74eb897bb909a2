// A real gateway process (dist/gateway/main.js) on free loopback ports, for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../src/paths.js';
import { freePort } from '../../harness/ports.js';

export const GATEWAY_MAIN = join(PROJECT_ROOT, 'dist/gateway/main.js');

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly healthUrl: string;
  readonly grpcAddress: string;
  readonly ports: { http: number; grpc: number; health: number };
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface StartOptions {
  env?: Record<string, string>;
  /** Fixed ports (to restart a gateway where it was, or to name peers before they start). */
  ports?: { http: number; grpc: number; health: number };
  args?: string[];
  /** Do not wait for /ready (for processes expected to fail). */
  waitReady?: boolean;
}

export async function reservePorts(): Promise<{ http: number; grpc: number; health: number }> {
  return { http: await freePort(), grpc: await freePort(), health: await freePort() };
}

export async function startGateway(options: StartOptions = {}): Promise<GatewayProcess> {
  const ports = options.ports ?? (await reservePorts());
  const child = spawn(process.execPath, [GATEWAY_MAIN, ...(options.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: String(ports.http),
      GRPC_PORT: String(ports.grpc),
      HEALTH_CHECK_PORT: String(ports.health),
      BIND_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });

  const gateway: GatewayProcess = {
    child,
    ports,
    httpUrl: `http://127.0.0.1:${ports.http}`,
    healthUrl: `http://127.0.0.1:${ports.health}`,
    grpcAddress: `127.0.0.1:${ports.grpc}`,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) await waitReady(gateway);
  return gateway;
}

async function waitReady(gateway: GatewayProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gateway.child.exitCode !== null) throw new Error(`gateway exited with ${gateway.child.exitCode}:\n${gateway.output()}`);
    try {
      const response = await fetch(`${gateway.healthUrl}/ready`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await gateway.stop('SIGKILL');
  throw new Error(`gateway not ready after ${timeoutMs} ms:\n${gateway.output()}`);
}
