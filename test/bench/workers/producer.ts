// A paced event producer in its own process: sends IngestEvent at a fixed offered rate (open
// loop: the schedule does not slow down when the gateway does), stamping each event_id with
// its send time on the shared monotonic clock. Given several ports (the replicas of one
// gateway), it sends to each in turn, as a Service spreading producers over its pods would.
import * as grpc from '@grpc/grpc-js';
import { monotonicMicros, sleep } from '../lib/clock.js';
import { serve, type ProducerCommand, type ProducerReport } from '../lib/messages.js';
import { benchEventId, CHANNEL_OPTIONS, IngestClient, type IngestEventRequest } from '../lib/proto.js';

type Ingest = grpc.Client & {
  IngestEvent(request: IngestEventRequest, callback: (error: grpc.ServiceError | null) => void): void;
};

/** Calls in flight beyond which sending pauses, so a stalled gateway cannot exhaust memory. */
const MAX_IN_FLIGHT = 5000;
const DATA = JSON.stringify({ kind: 'bench', note: 'fan-out latency probe', values: [1, 2, 3] });

const clients = new Map<number, Ingest>();
let sequence = 0;

function clientFor(port: number): Ingest {
  let client = clients.get(port);
  if (!client) {
    client = new IngestClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as Ingest;
    clients.set(port, client);
  }
  return client;
}

async function run(ports: number[], rate: number, durationMs: number): Promise<ProducerReport> {
  if (ports.length === 0) throw new Error('run: no port to send to');
  const targets = ports.map(clientFor);
  const report: ProducerReport = { sent: 0, ok: 0, failed: 0, elapsedMs: 0, errorSamples: [] };
  let inFlight = 0;
  const started = monotonicMicros();
  const total = Math.round((rate * durationMs) / 1000);
  while (report.sent < total) {
    const elapsedUs = monotonicMicros() - started;
    const due = Math.min(total, Math.floor((elapsedUs / 1e6) * rate) + 1);
    while (report.sent < due && inFlight < MAX_IN_FLIGHT) {
      const sentAt = monotonicMicros();
      inFlight++;
      report.sent++;
      targets[report.sent % targets.length]!.IngestEvent(
        {
          event_id: benchEventId(++sequence, sentAt),
          event_type: 'bench.fanout',
          source: 'bench-producer',
          timestamp: Date.now(),
          data: DATA,
          metadata: {},
        },
        (error) => {
          inFlight--;
          if (!error) report.ok++;
          else {
            report.failed++;
            if (report.errorSamples.length < 5) report.errorSamples.push(`${grpc.status[error.code]}: ${error.details}`);
          }
        },
      );
    }
    // ~1 ms ticks: at 2,000 events/s that is bursts of about two events.
    await sleep(1);
  }
  while (inFlight > 0) await sleep(5);
  report.elapsedMs = (monotonicMicros() - started) / 1000;
  return report;
}

serve(async (message) => {
  const command = message as unknown as ProducerCommand;
  switch (command.cmd) {
    case 'run':
      return run(command.ports, command.rate, command.durationMs);
    case 'close':
      for (const client of clients.values()) client.close();
      setTimeout(() => process.exit(0), 50);
      return {};
  }
});
