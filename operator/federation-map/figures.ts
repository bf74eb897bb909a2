// What the map shows for a server and for each of its forwarding targets, from the samples of
// its gateways: totals and gauges from the latest read, rates from the last two reads of the same
// gateway (a counter that went down means the process restarted: it counts from zero again).
import type { GatewaySample, TargetCounters } from './gateway-sample.js';

export type CircuitState = 'closed' | 'half_open' | 'open';

export interface NodeFigures {
  /** Accepted events per second; null until two reads. */
  eventsPerSecond: number | null;
  /** Refused events per second; null until two reads. */
  errorsPerSecond: number | null;
  accepted: number;
  errors: number;
  queueDepth: number;
  /** Forwarding targets whose circuit is open. */
  openCircuits: number;
  deadLetters: number;
  deadLettersHeld: number;
}

export interface EdgeFigures {
  /** Events delivered to the target per second; null until two reads. */
  eventsPerSecond: number | null;
  /** Failed delivery attempts per second; null until two reads. */
  errorsPerSecond: number | null;
  delivered: number;
  /** Events held for the target (queued, in flight, waiting to retry). */
  queueDepth: number;
  circuit: CircuitState;
  deadLetters: number;
}

/** A gateway's latest sample, and the one before it when there is one. */
export interface SamplePair {
  current: GatewaySample;
  previous?: GatewaySample | undefined;
}

const CIRCUITS: CircuitState[] = ['closed', 'half_open', 'open'];
/** A target that appeared since the previous read had counted nothing then. */
const NOTHING_YET: TargetCounters = { delivered: 0, failedAttempts: 0, inFlight: 0, deadLetters: 0, circuit: 0 };

function rate(current: number, previous: number | undefined, seconds: number): number | null {
  if (previous === undefined || seconds <= 0) return null;
  return (current >= previous ? current - previous : current) / seconds;
}

/** Adds rates where known: null only when no gateway had two reads. */
function addRates(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a + b;
}

function nodeFiguresOf({ current, previous }: SamplePair): NodeFigures {
  const seconds = previous ? (current.at - previous.at) / 1000 : 0;
  return {
    eventsPerSecond: rate(current.accepted, previous?.accepted, seconds),
    errorsPerSecond: rate(current.rejected, previous?.rejected, seconds),
    accepted: current.accepted,
    errors: current.rejected,
    queueDepth: current.bufferEvents,
    openCircuits: [...current.targets.values()].filter((t) => t.circuit >= 2).length,
    deadLetters: current.deadLetters,
    deadLettersHeld: current.deadLettersHeld,
  };
}

function edgeFiguresOf(current: TargetCounters, previous: TargetCounters | undefined, seconds: number): EdgeFigures {
  return {
    eventsPerSecond: rate(current.delivered, previous?.delivered, seconds),
    errorsPerSecond: rate(current.failedAttempts, previous?.failedAttempts, seconds),
    delivered: current.delivered,
    queueDepth: current.inFlight,
    circuit: CIRCUITS[Math.min(2, Math.max(0, Math.round(current.circuit)))]!,
    deadLetters: current.deadLetters,
  };
}

/** A server's figures over all its gateways (one per replica): counts added, circuits at their worst. */
export function serverFigures(pairs: SamplePair[]): { node: NodeFigures; targets: Map<string, EdgeFigures> } | undefined {
  if (pairs.length === 0) return undefined;
  const nodes = pairs.map(nodeFiguresOf);
  const node = nodes.reduce((a, b) => ({
    eventsPerSecond: addRates(a.eventsPerSecond, b.eventsPerSecond),
    errorsPerSecond: addRates(a.errorsPerSecond, b.errorsPerSecond),
    accepted: a.accepted + b.accepted,
    errors: a.errors + b.errors,
    queueDepth: a.queueDepth + b.queueDepth,
    openCircuits: a.openCircuits + b.openCircuits,
    deadLetters: a.deadLetters + b.deadLetters,
    deadLettersHeld: a.deadLettersHeld + b.deadLettersHeld,
  }));
  const targets = new Map<string, EdgeFigures>();
  for (const { current, previous } of pairs) {
    const seconds = previous ? (current.at - previous.at) / 1000 : 0;
    for (const [id, counters] of current.targets) {
      const figures = edgeFiguresOf(counters, previous ? (previous.targets.get(id) ?? NOTHING_YET) : undefined, seconds);
      const known = targets.get(id);
      targets.set(
        id,
        known
          ? {
              eventsPerSecond: addRates(known.eventsPerSecond, figures.eventsPerSecond),
              errorsPerSecond: addRates(known.errorsPerSecond, figures.errorsPerSecond),
              delivered: known.delivered + figures.delivered,
              queueDepth: known.queueDepth + figures.queueDepth,
              circuit: CIRCUITS.indexOf(known.circuit) >= CIRCUITS.indexOf(figures.circuit) ? known.circuit : figures.circuit,
              deadLetters: known.deadLetters + figures.deadLetters,
            }
          : figures,
      );
    }
  }
  return { node, targets };
}
