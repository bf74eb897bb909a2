// An event producer over POST /api/v1/events/batch, in its own process on the client core.
// Batches keep the producer's own cost per event low: one HTTP request per millisecond carries
// every event due by then, so 5,000 events/s cost ~1,000 requests/s instead of 5,000. Each
// event_id carries its send time on the shared monotonic clock, as in workers/producer.ts.
import http from 'node:http';
import { monotonicMicros, sleep } from '../lib/clock.js';
import { HTTP_EVENT } from '../lib/bench-event.js';
import { ID_PLACEHOLDER } from '../lib/load-http.js';
import { serve, type BatchProducerCommand, type BatchProducerReport, type SingleProducerReport } from '../lib/messages.js';
import { benchEventId } from '../lib/proto.js';
import { Histogram } from '../lib/stats.js';

const DATA = JSON.stringify({ kind: 'bench', note: 'forwarding probe', values: [1, 2, 3] });
/** Batches in flight beyond which a paced producer skips a tick's send (it catches up later). */
const MAX_IN_FLIGHT = 64;

const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
let sequence = 0;

function batchBody(count: number): string {
  const sentAt = monotonicMicros();
  const events: string[] = [];
  for (let i = 0; i < count; i++) {
    events.push(
      JSON.stringify({
        event_id: benchEventId(++sequence, sentAt),
        event_type: 'bench.forwarding',
        source: 'bench-producer',
        data: DATA,
        metadata: { tenant: 'bench' },
      }),
    );
  }
  return `[${events.join(',')}]`;
}

/** POSTs one batch (or one event); resolves with the HTTP status (0 on a connection error) and error text. */
function post(
  url: URL,
  body: string,
  okStatus: (status: number) => boolean = (status) => status === 200,
): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve(
          okStatus(response.statusCode ?? 0)
            ? { status: 200 }
            : { status: response.statusCode ?? 0, error: `HTTP ${response.statusCode}: ${text.slice(0, 200)}` },
        ),
      );
    });
    request.on('error', (error) => resolve({ status: 0, error: error.message }));
    request.end(body);
  });
}

function emptyReport(): BatchProducerReport {
  return { sent: 0, ok: 0, failed: 0, elapsedMs: 0, errorSamples: [], requests: 0 };
}

function record(report: BatchProducerReport, count: number, result: { status: number; error?: string }): void {
  report.requests++;
  if (result.status === 200) report.ok += count;
  else {
    report.failed += count;
    if (report.errorSamples.length < 5 && result.error) report.errorSamples.push(result.error);
  }
}

async function paced(url: URL, rate: number, durationMs: number, maxBatch: number): Promise<BatchProducerReport> {
  const report = emptyReport();
  const total = Math.round((rate * durationMs) / 1000);
  let inFlight = 0;
  const started = monotonicMicros();
  while (report.sent < total) {
    const due = Math.min(total, Math.floor(((monotonicMicros() - started) / 1e6) * rate) + 1);
    while (report.sent < due && inFlight < MAX_IN_FLIGHT) {
      const count = Math.min(maxBatch, due - report.sent);
      report.sent += count;
      inFlight++;
      void post(url, batchBody(count)).then((result) => {
        inFlight--;
        record(report, count, result);
      });
    }
    await sleep(1);
  }
  while (inFlight > 0) await sleep(5);
  report.elapsedMs = (monotonicMicros() - started) / 1000;
  return report;
}

async function flood(url: URL, durationMs: number, batchSize: number, concurrency: number): Promise<BatchProducerReport> {
  const report = emptyReport();
  const started = monotonicMicros();
  const end = started + durationMs * 1000;
  const loop = async () => {
    while (monotonicMicros() < end) {
      report.sent += batchSize;
      record(report, batchSize, await post(url, batchBody(batchSize)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  report.elapsedMs = (monotonicMicros() - started) / 1000;
  return report;
}

const [singlePrefix, singleSuffix] = HTTP_EVENT.split(ID_PLACEHOLDER) as [string, string];

/** One event per request, open loop: requests go out on schedule whatever the answers' pace (up to
 * MAX_IN_FLIGHT), so latency is measured at a known offered load, not at saturation. */
async function single(url: URL, rate: number, durationMs: number): Promise<SingleProducerReport> {
  const report: SingleProducerReport = { ...emptyReport(), latency: new Histogram().toJSON() };
  const latency = new Histogram();
  const total = Math.round((rate * durationMs) / 1000);
  let inFlight = 0;
  const started = monotonicMicros();
  while (report.sent < total) {
    const due = Math.min(total, Math.floor(((monotonicMicros() - started) / 1e6) * rate) + 1);
    while (report.sent < due && inFlight < MAX_IN_FLIGHT) {
      report.sent++;
      inFlight++;
      const sentAt = monotonicMicros();
      void post(url, `${singlePrefix}${benchEventId(++sequence, sentAt)}${singleSuffix}`, (status) => status >= 200 && status < 300).then(
        (result) => {
          inFlight--;
          if (result.status === 200) latency.record(monotonicMicros() - sentAt);
          record(report, 1, result);
        },
      );
    }
    await sleep(1);
  }
  while (inFlight > 0) await sleep(5);
  report.elapsedMs = (monotonicMicros() - started) / 1000;
  report.latency = latency.toJSON();
  return report;
}

serve(async (message) => {
  const command = message as unknown as BatchProducerCommand;
  switch (command.cmd) {
    case 'paced':
      return paced(new URL(command.url), command.rate, command.durationMs, command.maxBatch);
    case 'flood':
      return flood(new URL(command.url), command.durationMs, command.batchSize, command.concurrency);
    case 'single':
      return single(new URL(command.url), command.rate, command.durationMs);
    case 'close':
      agent.destroy();
      setTimeout(() => process.exit(0), 50);
      return {};
  }
});
