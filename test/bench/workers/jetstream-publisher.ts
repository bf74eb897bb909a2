// The bare JetStream publisher: what one core can get acknowledged by JetStream with the
// maintained client and nothing else (no HTTP, no validation, no fan-out), the bound the
// gateway's JetStream ingest is read against. It publishes the bench's HTTP event, each with its
// own Nats-Msg-Id as the gateway does, to a stream set up exactly like a gateway's events stream
// (the gateway's own spec), and measures acknowledged messages, publish-to-ack latency and its own
// CPU. Runs on the gateway's core while the gateways there are idle.
import { createInbox, headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { McpEvent } from '../../../src/event/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { encodeEvent, eventHeaders, MSG_ID_HEADER } from '../../../gateway/log/jetstream/codec.js';
import { AckedPublisher } from '../../../gateway/log/jetstream/publisher.js';
import { jetStreamSettings } from '../../../gateway/log/jetstream/settings.js';
import { ensureStream, eventsStreamSpec } from '../../../gateway/log/jetstream/stream-setup.js';
import { HTTP_EVENT } from '../lib/bench-event.js';
import { monotonicMicros } from '../lib/clock.js';
import { ID_PLACEHOLDER } from '../lib/load-http.js';
import { serve, type PublisherCommand, type PublisherReport, type PublishMode } from '../lib/messages.js';
import { Histogram } from '../lib/stats.js';

/** The gateway's default publish timeout (NATS_PUBLISH_TIMEOUT). */
const TIMEOUT_MS = 5000;
/** The stream's identity: a gateway with GATEWAY_ID=bench-bare would use the same names. */
const IDENTITY = 'bench-bare';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const [idPrefix, idSuffix] = HTTP_EVENT.split(`"${ID_PLACEHOLDER}"`) as [string, string];
const template = JSON.parse(HTTP_EVENT) as McpEvent;

let nc: NatsConnection | undefined;
let subject = '';
let runs = 0;

async function connectTo(url: string): Promise<{ stream: string; subject: string }> {
  nc = await connect({ servers: url, name: 'tas-bench-bare-publisher' });
  const settings = jetStreamSettings(parseConfig({ bus: { type: 'jetstream', jetstream: { urls: [url] } }, identity: { id: IDENTITY } }));
  const jsm = await jetstreamManager(nc, { timeout: TIMEOUT_MS });
  await ensureStream(jsm, eventsStreamSpec(settings, parseConfig({}).limits.maxEventSize));
  subject = settings.eventsSubject;
  return { stream: settings.stream, subject };
}

interface Tally {
  acked: number;
  failed: number;
  errorSamples: string[];
  latency: Histogram;
}

function fail(tally: Tally, description: string): void {
  tally.failed++;
  if (tally.errorSamples.length < 5) tally.errorSamples.push(description);
}

/** The client's js.publish, `inFlight` lanes each awaiting its acknowledgement before the next. */
async function jsPublish(tally: Tally, inFlight: number, end: number, tag: string): Promise<void> {
  const js = jetstream(nc!, { timeout: TIMEOUT_MS });
  let n = 0;
  const lane = async () => {
    while (monotonicMicros() < end) {
      const id = `${tag}-${++n}`;
      const sent = monotonicMicros();
      try {
        const ack = await js.publish(subject, encoder.encode(`${idPrefix}"${id}"${idSuffix}`), { msgID: id });
        if (ack.duplicate) fail(tally, `duplicate ${id}`);
        else tally.acked++;
        tally.latency.record(monotonicMicros() - sent);
      } catch (error) {
        fail(tally, (error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/**
 * Core publishes with a reply subject `<inbox>.<token>` and one subscription on `<inbox>.*`:
 * no promise, timer or closure per message; each acknowledgement frees a slot, which is refilled
 * at once, so `inFlight` stay outstanding until the end.
 */
async function pipelined(tally: Tally, inFlight: number, end: number, tag: string): Promise<void> {
  const conn = nc!;
  const inbox = createInbox();
  const prefixLength = inbox.length + 1;
  const sentAt = new Map<number, number>();
  let token = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const publishOne = () => {
    const id = `${tag}-${++token}`;
    const h = headers();
    h.set(MSG_ID_HEADER, id);
    sentAt.set(token, monotonicMicros());
    conn.publish(subject, encoder.encode(`${idPrefix}"${id}"${idSuffix}`), { reply: `${inbox}.${token}`, headers: h });
  };
  const subscription = conn.subscribe(`${inbox}.*`, {
    callback: (error: Error | null, msg: Msg) => {
      if (error) return fail(tally, error.message);
      const key = Number(msg.subject.slice(prefixLength));
      const sent = sentAt.get(key);
      if (sent === undefined) return;
      sentAt.delete(key);
      tally.latency.record(monotonicMicros() - sent);
      const ack =
        msg.data.length > 0
          ? (JSON.parse(decoder.decode(msg.data)) as { seq?: number; duplicate?: boolean; error?: { description?: string } })
          : undefined;
      if (ack?.error || typeof ack?.seq !== 'number' || ack.duplicate) fail(tally, JSON.stringify(ack ?? { status: msg.headers?.code }));
      else tally.acked++;
      if (monotonicMicros() < end) publishOne();
      else if (sentAt.size === 0) done();
    },
  });
  for (let i = 0; i < inFlight; i++) publishOne();
  // Acknowledgements that never come (none expected) must not hang the run.
  const timer = setTimeout(done, (end - monotonicMicros()) / 1000 + TIMEOUT_MS);
  await finished;
  clearTimeout(timer);
  for (let i = 0; i < sentAt.size; i++) fail(tally, 'no acknowledgement');
  subscription.unsubscribe();
}

/** The gateway's own publisher and codec (JSON of the event object, a header set per message),
 * `inFlight` lanes each awaiting its result: the JetStream part of the gateway's ingest alone. */
async function gatewayPublisher(tally: Tally, inFlight: number, end: number, tag: string): Promise<void> {
  const publisher = new AckedPublisher(nc!, TIMEOUT_MS);
  let n = 0;
  const lane = async () => {
    while (monotonicMicros() < end) {
      const event: McpEvent = { ...template, event_id: `${tag}-${++n}` };
      const sent = monotonicMicros();
      const result = await publisher.publish(subject, encodeEvent(event), eventHeaders(event, undefined));
      tally.latency.record(monotonicMicros() - sent);
      if (result.kind === 'stored') tally.acked++;
      else fail(tally, `${result.kind}: ${'description' in result ? result.description : ''}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  publisher.close();
}

const MODES: Record<PublishMode, (tally: Tally, inFlight: number, end: number, tag: string) => Promise<void>> = {
  'js-publish': jsPublish,
  pipelined,
  'gateway-publisher': gatewayPublisher,
};

async function run(mode: PublishMode, inFlight: number, durationMs: number): Promise<PublisherReport> {
  if (!nc) throw new Error('not connected: send connect first');
  const tally: Tally = { acked: 0, failed: 0, errorSamples: [], latency: new Histogram() };
  const cpuBefore = process.cpuUsage();
  const started = monotonicMicros();
  await MODES[mode](tally, inFlight, started + durationMs * 1000, `bare-${process.pid}-${++runs}-${mode}`);
  const elapsedMs = (monotonicMicros() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    mode,
    acked: tally.acked,
    failed: tally.failed,
    errorSamples: tally.errorSamples,
    elapsedMs,
    cpuS: (cpu.user + cpu.system) / 1e6,
    latency: tally.latency.toJSON(),
  };
}

serve(async (message) => {
  const command = message as unknown as PublisherCommand;
  switch (command.cmd) {
    case 'connect':
      return connectTo(command.url);
    case 'run':
      return run(command.mode, command.inFlight, command.durationMs);
    case 'close':
      await nc?.close();
      setTimeout(() => process.exit(0), 50);
      return {};
  }
});
