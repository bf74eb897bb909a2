// A real Jaeger (v2, built by test/cluster/build.sh jaeger) for tracing tests and benchmarks: an
// OTLP/HTTP receiver and the query API on free loopback ports, spans kept in memory, nothing else
// listening (no metrics, no UI sampling endpoints). Its config and log live in a temp dir removed by
// stop(); the process is killed by stop(), or on exit/SIGINT/SIGTERM/SIGHUP of this process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath } from './binaries.js';
import { freePorts } from './ports.js';
import { registerCleanup, stopGroup, startProcess, waitFor, withPortRetry, type Managed } from './proc.js';

/** A span as Jaeger's query API (/api/traces) returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
  startTime: number;
  duration: number;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

export interface Jaeger {
  /** Where OTLP/HTTP exporters send (OTEL_EXPORTER_OTLP_ENDPOINT), http://127.0.0.1:PORT. */
  otlpHttpUrl: string;
  /** The query API and UI, http://127.0.0.1:PORT. */
  queryUrl: string;
  logPath: string;
  /** One trace by id (32 hex digits), or undefined while Jaeger holds none of its spans. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  /** Service names that reported spans. */
  services(): Promise<string[]>;
  /** The newest traces (at most `limit`) holding spans of `service`. */
  search(service: string, limit?: number): Promise<JaegerTrace[]>;
  stop(): Promise<void>;
}

export interface StartJaegerOptions {
  /** Timeout of the start, in ms (default 60 s). */
  timeoutMs?: number;
}

function config(ports: { otlp: number; queryHttp: number; queryGrpc: number }): string {
  // JSON is YAML: the collector reads this file as its config.
  return JSON.stringify(
    {
      service: {
        extensions: ['jaeger_storage', 'jaeger_query'],
        pipelines: { traces: { receivers: ['otlp'], processors: [], exporters: ['jaeger_storage_exporter'] } },
        telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
      },
      extensions: {
        jaeger_storage: { backends: { memstore: { memory: { max_traces: 100_000 } } } },
        jaeger_query: {
          storage: { traces: 'memstore' },
          enable_tracing: false,
          http: { endpoint: `127.0.0.1:${ports.queryHttp}` },
          grpc: { endpoint: `127.0.0.1:${ports.queryGrpc}` },
        },
      },
      receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${ports.otlp}` } } } },
      exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    },
    null,
    2,
  );
}

export async function startJaeger(options: StartJaegerOptions = {}): Promise<Jaeger> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const bin = binPath('jaeger');
  const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-jaeger-'));
  const logPath = join(dir, 'jaeger.log');
  const managed: Managed[] = [];
  const unregister = registerCleanup(() => managed.map((m) => m.pid), dir);

  const started = await withPortRetry(
    'jaeger',
    async () => {
      const [otlp, queryHttp, queryGrpc] = await freePorts(3);
      const configPath = join(dir, 'config.yaml');
      writeFileSync(configPath, config({ otlp: otlp!, queryHttp: queryHttp!, queryGrpc: queryGrpc! }));
      const proc = startProcess('jaeger', bin, ['--config', configPath], { logPath });
      managed.push(proc);
      const queryUrl = `http://127.0.0.1:${queryHttp}`;
      const otlpHttpUrl = `http://127.0.0.1:${otlp}`;
      const deadline = Date.now() + timeoutMs;
      await waitFor('jaeger query API', proc, deadline, async () => (await fetch(`${queryUrl}/api/services`)).ok);
      // The receiver answers an empty export once it listens.
      await waitFor('jaeger OTLP receiver', proc, deadline, async () => {
        const response = await fetch(`${otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        return response.ok;
      });
      return { value: { proc, queryUrl, otlpHttpUrl } };
    },
    managed,
    () => undefined,
  ).catch((error: unknown) => {
    unregister();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  const getJson = async (path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${started.queryUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.json() };
  };

  return {
    otlpHttpUrl: started.otlpHttpUrl,
    queryUrl: started.queryUrl,
    logPath,
    async trace(traceId) {
      const { status, body } = await getJson(`/api/traces/${traceId}`);
      if (status === 404) return undefined;
      if (status !== 200) throw new Error(`jaeger /api/traces/${traceId}: HTTP ${status}: ${JSON.stringify(body)}`);
      return (body as { data: JaegerTrace[] }).data[0];
    },
    async services() {
      const { body } = await getJson('/api/services');
      return (body as { data: string[] | null }).data ?? [];
    },
    async search(service, limit = 100) {
      const { status, body } = await getJson(`/api/traces?service=${encodeURIComponent(service)}&lookback=1h&limit=${limit}`);
      if (status !== 200) throw new Error(`jaeger /api/traces?service=${service}: HTTP ${status}: ${JSON.stringify(body)}`);
      return (body as { data: JaegerTrace[] | null }).data ?? [];
    },
    async stop() {
      await Promise.all(managed.map((m) => stopGroup(m.pid, 5_000, m.exited)));
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A span's tag value by key. */
export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}
