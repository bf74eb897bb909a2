// Argo Events' own code as a child process: test/cluster/argo (argo-check), built and cached by
// `bash test/cluster/build.sh argo`, runs Argo's validation, EventSource listeners and Sensor
// filters and reports JSON lines, which these helpers collect.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { binPath } from '../../harness/binaries.js';

/** The argo-check binary (component `argo` of test/cluster/build.sh, or $TAS_ARGO_BIN_DIR); built on first use. */
export const argoCheckPath = (): string => binPath('argo-check');

export type ReportLine = { kind: string } & Record<string, any>;

/** An event as Argo's Sensor received it, with each dependency's verdict from Argo's filter code. */
export interface ArgoEvent {
  kind: 'event';
  eventSource: string;
  event: string;
  receivedAt: string;
  data: any;
  dependencies: Record<string, boolean>;
  filterErrors?: Record<string, string>;
}

function parseLines(text: string): ReportLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ReportLine);
}

/** `argo-check validate DIR`: a line per object and a summary. */
export function validateArgoFiles(dir: string): { exitCode: number | null; lines: ReportLine[]; stderr: string } {
  const result = spawnSync(argoCheckPath(), ['validate', dir], { encoding: 'utf8', timeout: 60_000 });
  return { exitCode: result.status, lines: parseLines(result.stdout), stderr: result.stderr };
}

export interface ListenerOptions {
  eventSource: string;
  event: string;
  sensor?: string;
  /** generic: the gateway's gRPC address. */
  url?: string;
  /** webhook: the port to serve. */
  port?: number;
  /** resource: the namespace to watch (KUBECONFIG in env). */
  namespace?: string;
  drain?: string;
  env?: Record<string, string>;
}

export interface ArgoListener {
  readonly child: ChildProcess;
  readonly lines: ReportLine[];
  readonly events: ArgoEvent[];
  /** Argo's own log lines and anything else on stderr. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `argo-check listen KIND ...` in the background; resolves once it reports that it started. */
export async function startArgoListener(kind: 'generic' | 'webhook' | 'resource', options: ListenerOptions): Promise<ArgoListener> {
  const args = ['listen', kind, '--eventsource', options.eventSource, '--event', options.event, '--max-duration', '10m'];
  if (options.sensor) args.push('--sensor', options.sensor);
  if (options.url) args.push('--url', options.url);
  if (options.port) args.push('--port', String(options.port));
  if (options.namespace) args.push('--namespace', options.namespace);
  if (options.drain) args.push('--drain', options.drain);
  const child = spawn(argoCheckPath(), args, { env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const lines: ReportLine[] = [];
  const events: ArgoEvent[] = [];
  let pending = '';
  let stderr = '';
  let onStarted: (() => void) | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop()!;
    for (const line of parseLines(complete.join('\n'))) {
      lines.push(line);
      if (line.kind === 'event') events.push(line as ArgoEvent);
      if (line.kind === 'started') onStarted?.();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 1_000_000) stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const outcome = await Promise.race([
    started.then(() => 'started'),
    exited.then((code) => `exited with ${code}`),
    sleep(15_000).then(() => 'no start within 15 s'),
  ]);
  if (outcome !== 'started') {
    child.kill('SIGKILL');
    throw new Error(`argo-check listen ${kind}: ${outcome}\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n${stderr.slice(-4000)}`);
  }
  return {
    child,
    lines,
    events,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`argo-check listen ${kind} did not stop within 20 s`);
      }
      return code;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
