// gRPC unary load with ghz (built by test/cluster/build.sh, component ghz), pinned to the client
// core: IngestEvent with a distinct event_id per call ({{.UUID}}), `concurrency` calls in flight
// on one connection, for a fixed duration.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { binPath, repoRoot } from '../../harness/index.js';
import { CORES, PINNING } from './processes.js';

export interface GrpcLoadResult {
  requestsPerSecond: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  durationS: number;
  /** Non-OK status codes and how often (empty when every call succeeded). */
  errors: Record<string, number>;
}

export interface GrpcLoadOptions {
  address: string;
  concurrency: number;
  durationS: number;
}

/** The same event as the HTTP benchmarks send, as IngestEventRequest JSON for ghz. */
const DATA = JSON.stringify({
  event_id: '{{.UUID}}',
  event_type: 'document.updated',
  source: 'bench-loadgen',
  timestamp: 1_763_700_000_000,
  data: JSON.stringify({ document: 'doc-42', revision: 7, author: 'bench', tags: ['a', 'b', 'c'], summary: 'x'.repeat(120) }),
  metadata: { tenant: 'bench', region: 'local', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
});

interface GhzReport {
  count: number;
  total: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number> | null;
}

export function runGrpcLoad(options: GrpcLoadOptions): Promise<GrpcLoadResult> {
  const root = repoRoot();
  const args = [
    '--insecure',
    '--proto',
    join(root, 'proto/mcp/v1/mcp.proto'),
    '--import-paths',
    join(root, 'proto'),
    '--call',
    'mcp.v1.MCPService.IngestEvent',
    '--cpus',
    '1',
    '-c',
    String(options.concurrency),
    '-z',
    `${options.durationS}s`,
    '-O',
    'json',
    '--data',
    DATA,
    options.address,
  ];
  const [file, argv] = PINNING ? ['taskset', ['-c', CORES.client, binPath('ghz'), ...args]] : [binPath('ghz'), args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: (options.durationS + 60) * 1000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // ghz exits 1 when some calls failed, and still reports them.
      if (error && !stdout) {
        reject(new Error(`ghz failed: ${error.message}\n${stderr}`));
        return;
      }
      let report: GhzReport;
      try {
        report = JSON.parse(stdout) as GhzReport;
      } catch (parseError) {
        reject(new Error(`ghz printed no JSON report: ${(parseError as Error).message}\n${stdout.slice(0, 500)}\n${stderr}`));
        return;
      }
      const statuses = report.statusCodeDistribution ?? {};
      const ok = statuses.OK ?? 0;
      const percentile = (p: number) => (report.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
      const errors = Object.fromEntries(Object.entries(statuses).filter(([code]) => code !== 'OK'));
      resolve({
        requestsPerSecond: ok / (report.total / 1e9),
        ok,
        failed: report.count - ok,
        p50Ms: percentile(50),
        p99Ms: percentile(99),
        durationS: report.total / 1e9,
        errors,
      });
    });
  });
}
