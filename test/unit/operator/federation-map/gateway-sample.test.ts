// A gateway's /metrics reduced to the map's sample: the text comes from the gateway's own metrics
// module (gateway/metrics.ts), so a renamed or relabelled metric fails here, not on the page.
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics, ingestMetrics, type GatewayGaugeSources } from '../../../../gateway/metrics.js';
import { MetricsFormatError, sampleFromMetrics } from '../../../../operator/federation-map/gateway-sample.js';

type Row = ReturnType<GatewayGaugeSources['forwarding']>['targets'][number];

function gatewayText(rows: Row[], deadLetters: Map<string, number>, pending = 0) {
  const metrics = createGatewayMetrics({
    log: () => ({ kind: 'memory', connected: true, name: 'memory', pending, capacity: 100 }) as ReturnType<GatewayGaugeSources['log']>,
    subscriberQueueDepth: () => 0,
    subscribersReading: () => 0,
    historyEvents: () => 0,
    subscriberDelivered: () => ({}),
    forwarding: () => ({ skippedOnPath: 0, skippedHopLimit: 0, targets: rows }),
    deadLetterTotals: () => deadLetters,
    deadLettersHeld: () => [...deadLetters.values()].reduce((a, b) => a + b, 0),
  });
  return metrics;
}

const row = (target: string, route: string, counts: Partial<Row>): Row => ({
  route,
  target,
  url: `http://${target}`,
  accepted: 0,
  delivered: 0,
  deadLettered: 0,
  returned: 0,
  inFlight: 0,
  circuit: 'closed',
  ...counts,
});

describe('sampleFromMetrics', () => {
  it('reads intake, buffer, dead letters and per-target forwarding from a gateway', async () => {
    const metrics = gatewayText(
      [
        row('team-b/beta', 'peers', { accepted: 7, delivered: 5, inFlight: 2 }),
        row('team-b/beta', 'route/team-a/docs', { accepted: 4, delivered: 3, deadLettered: 1, circuit: 'half_open' }),
        row('hooks.example:8443', 'route/team-a/hook', { circuit: 'open', inFlight: 9 }),
      ],
      new Map([
        ['team-b/beta\u0000max_attempts', 1],
        ['hooks.example:8443\u0000circuit_open', 3],
      ]),
      6,
    );
    const ingest = ingestMetrics(metrics);
    for (let i = 0; i < 12; i++) ingest.accepted('http', 100);
    ingest.accepted('grpc', 100);
    ingest.failed('http', 'invalid', 2);
    ingest.failed('grpc', 'rate_limited', 3);
    metrics.forwardAttempts.inc({ target: 'team-b/beta', result: 'delivered' }, 8);
    metrics.forwardAttempts.inc({ target: 'team-b/beta', result: 'retry' }, 4);
    metrics.forwardAttempts.inc({ target: 'hooks.example:8443', result: 'failed' }, 2);

    const sample = sampleFromMetrics(await metrics.registry.metrics(), 1234);
    expect(sample).toMatchObject({ at: 1234, accepted: 13, rejected: 5, bufferEvents: 6, deadLetters: 4, deadLettersHeld: 4 });
    expect(Object.fromEntries(sample.targets)).toEqual({
      // Two deliveries to one target (the peer and a route) are one target to the gateway: summed.
      'team-b/beta': { delivered: 8, failedAttempts: 4, inFlight: 2, deadLetters: 1, circuit: 1 },
      'hooks.example:8443': { delivered: 0, failedAttempts: 2, inFlight: 9, deadLetters: 3, circuit: 2 },
    });
  });

  it('reads a gateway with nothing forwarded yet as zeros and no targets', async () => {
    const sample = sampleFromMetrics(await gatewayText([], new Map()).registry.metrics(), 1);
    expect(sample).toEqual({ at: 1, accepted: 0, rejected: 0, bufferEvents: 0, deadLetters: 0, deadLettersHeld: 0, targets: new Map() });
  });

  it('refuses text that is not Prometheus format, or not a gateway, saying which', () => {
    expect(() => sampleFromMetrics('<html>not metrics</html>', 1)).toThrow(MetricsFormatError);
    expect(() => sampleFromMetrics('# TYPE other_total counter\nother_total 3\n', 1)).toThrow(/no tas_mcp_events_total/);
  });

  it('skips rows without a target label instead of failing', () => {
    const text = [
      '# TYPE tas_mcp_events_total counter',
      'tas_mcp_events_total{method="http",status="success"} 2',
      '# TYPE tas_mcp_forward_in_flight gauge',
      'tas_mcp_forward_in_flight 5',
      'tas_mcp_forward_in_flight{target="a/b"} 1',
      '',
    ].join('\n');
    const sample = sampleFromMetrics(text, 1);
    expect(sample.accepted).toBe(2);
    expect([...sample.targets.keys()]).toEqual(['a/b']);
    expect(sample.targets.get('a/b')!.inFlight).toBe(1);
  });
});
