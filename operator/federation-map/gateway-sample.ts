// One read of a gateway's /metrics, reduced to what the map shows: the gateway's own intake,
// buffer and dead letters, and per forwarding target (the gateway labels a target by its id:
// namespace/name for an McpServer, the host for a URL) what it delivered, holds and refused.
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

export interface TargetCounters {
  /** tas_mcp_forward_events_total{outcome="delivered"} */
  delivered: number;
  /** tas_mcp_forward_attempts_total{result!="delivered"}: retried or refused attempts. */
  failedAttempts: number;
  /** tas_mcp_forward_in_flight: queued, being sent, or waiting to retry. */
  inFlight: number;
  /** tas_mcp_dead_letters_total, every reason. */
  deadLetters: number;
  /** tas_mcp_forward_circuit_state: 0 closed, 1 half-open, 2 open. */
  circuit: number;
}

export interface GatewaySample {
  /** When it was read (ms since the epoch). */
  at: number;
  /** tas_mcp_events_total{status="success"} */
  accepted: number;
  /** tas_mcp_events_rejected_total, every reason. */
  rejected: number;
  /** tas_mcp_buffer_events */
  bufferEvents: number;
  /** tas_mcp_dead_letters_total, every target and reason. */
  deadLetters: number;
  /** tas_mcp_dead_letters_held */
  deadLettersHeld: number;
  targets: Map<string, TargetCounters>;
}

/** Thrown when /metrics is not Prometheus text or lacks the gateway's families. */
export class MetricsFormatError extends Error {}

const EMPTY_TARGET: TargetCounters = { delivered: 0, failedAttempts: 0, inFlight: 0, deadLetters: 0, circuit: 0 };

function number(value: string | undefined): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : 0;
}

/** Reduces Prometheus text to a sample; `at` is when it was read. */
export function sampleFromMetrics(text: string, at: number): GatewaySample {
  let families: ParsedFamily[];
  try {
    families = parsePrometheusTextFormat(text);
  } catch (error) {
    throw new MetricsFormatError(`not Prometheus text: ${(error as Error).message}`);
  }
  const byName = new Map(families.map((family) => [family.name, family]));
  if (!byName.has('tas_mcp_events_total')) throw new MetricsFormatError('no tas_mcp_events_total: not a TAS MCP gateway');
  const rows = (name: string) => byName.get(name)?.metrics ?? [];
  const sum = (name: string, keep: (labels: Record<string, string>) => boolean = () => true) =>
    rows(name).reduce((total, row) => total + (keep(row.labels ?? {}) ? number(row.value) : 0), 0);

  const targets = new Map<string, TargetCounters>();
  const target = (labels: Record<string, string> | undefined): TargetCounters | undefined => {
    const id = labels?.target;
    if (id === undefined) return undefined;
    let counters = targets.get(id);
    if (!counters) targets.set(id, (counters = { ...EMPTY_TARGET }));
    return counters;
  };
  // Rows without a target label are not the gateway's; they are skipped, not fatal.
  const each = (name: string, add: (counters: TargetCounters, row: ParsedSample) => void) => {
    for (const row of rows(name)) {
      const counters = target(row.labels);
      if (counters) add(counters, row);
    }
  };
  each('tas_mcp_forward_events_total', (counters, row) => {
    if (row.labels?.outcome === 'delivered') counters.delivered += number(row.value);
  });
  each('tas_mcp_forward_attempts_total', (counters, row) => {
    if (row.labels?.result !== 'delivered') counters.failedAttempts += number(row.value);
  });
  each('tas_mcp_forward_in_flight', (counters, row) => (counters.inFlight += number(row.value)));
  each('tas_mcp_dead_letters_total', (counters, row) => (counters.deadLetters += number(row.value)));
  each('tas_mcp_forward_circuit_state', (counters, row) => (counters.circuit = Math.max(counters.circuit, number(row.value))));
  return {
    at,
    accepted: sum('tas_mcp_events_total', (labels) => labels.status === 'success'),
    rejected: sum('tas_mcp_events_rejected_total'),
    bufferEvents: sum('tas_mcp_buffer_events'),
    deadLetters: sum('tas_mcp_dead_letters_total'),
    deadLettersHeld: sum('tas_mcp_dead_letters_held'),
    targets,
  };
}
