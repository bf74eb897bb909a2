// Tracing across hops with real parts: gateway processes exporting to a real Jaeger (built by
// test/cluster/build.sh jaeger), queried through its own HTTP API. One trace follows an event from
// the producer's traceparent through ingest at A, dispatch, A's forward attempts (retries included)
// and ingest at B; subscribers see the trace context in the event's metadata; CloudEvents targets
// get it as the distributed-tracing extension.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { startJaeger, tagOf, type Jaeger, type JaegerSpan, type JaegerTrace } from '../harness/jaeger.js';
import { SecretDir, randomKey } from '../support/secrets.js';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient, metadataOf, unaryWith } from './support/grpc-clients.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { eventually, testEvent } from './support/traffic.js';

const dir = mkdtempSync(join(tmpdir(), 'tas-mcp-tracing-'));
let jaeger: Jaeger;
const gateways: GatewayProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  jaeger = await startJaeger();
}, 120_000);
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(async () => {
  await jaeger?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const hex = (length: number) => Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const traceparentOf = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

async function gateway(name: string, env: Record<string, string> = {}, config?: object): Promise<GatewayProcess> {
  const file = config ? join(dir, `${name}-${Date.now()}.yaml`) : undefined;
  if (file) writeFileSync(file, stringify(config));
  const started = await startGateway({
    env: {
      GATEWAY_ID: name,
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
      OTEL_SERVICE_NAME: name,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=e2e',
      // Spans leave within 100 ms instead of the SDK's 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      FORWARD_INITIAL_BACKOFF: '10ms',
      FORWARD_MAX_BACKOFF: '50ms',
      ...(file ? { CONFIG_FILE: file } : {}),
      ...env,
    },
  });
  gateways.push(started);
  return started;
}

/** The trace once it holds at least `spans` spans (exports arrive from two processes, at their own pace). */
async function traceWith(traceId: string, spans: (trace: JaegerTrace) => boolean, what: string): Promise<JaegerTrace> {
  let found: JaegerTrace | undefined;
  await eventually(
    async () => {
      found = await jaeger.trace(traceId);
      return found !== undefined && spans(found);
    },
    20_000,
    `${what} in Jaeger (trace ${traceId}; has ${found?.spans.map((s) => s.operationName).join(', ') ?? 'nothing'})`,
  );
  return found!;
}

const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID]!.serviceName;
const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
function only(trace: JaegerTrace, operation: string, service: string, extra: (s: JaegerSpan) => boolean = () => true): JaegerSpan {
  const spans = trace.spans.filter((s) => s.operationName === operation && serviceOf(trace, s) === service && extra(s));
  expect(spans, `${operation} spans of ${service}`).toHaveLength(1);
  return spans[0]!;
}

/** A WebSocket subscriber's frames (events as the HTTP API shows them). */
async function subscribe(g: GatewayProcess): Promise<{ events: { event_id: string; metadata: Record<string, string> }[] }> {
  const socket = new WebSocket(`ws://127.0.0.1:${g.ports.http}/api/v1/ws`);
  const events: { event_id: string; metadata: Record<string, string> }[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { event_id?: string; metadata?: Record<string, string> };
    if (frame.event_id && frame.metadata) events.push(frame as (typeof events)[number]);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  closers.push(async () => socket.close());
  return { events };
}

describe('tracing across two gateways, exported to Jaeger', () => {
  it('links ingest at A, dispatch, the forward attempt and ingest at B in one trace (HTTP, batched forwarding)', async () => {
    const b = await gateway('gw-b');
    const a = await gateway('gw-a', { FORWARD_TO: b.httpUrl });
    const [atA, atB] = await Promise.all([subscribe(a), subscribe(b)]);
    const traceId = hex(32);
    const producerSpan = hex(16);
    const response = await fetch(`${a.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparentOf(traceId, producerSpan), tracestate: 'producer=e2e' },
      body: JSON.stringify(testEvent('traced-1', 'doc.created')),
    });
    expect(response.status).toBe(200);

    const trace = await traceWith(
      traceId,
      (t) => t.spans.filter((s) => s.operationName === 'mcp.ingest').length >= 2 && t.spans.some((s) => s.operationName === 'mcp.forward'),
      'ingest at A and B and the forward attempt',
    );
    const ingestA = only(trace, 'mcp.ingest', 'gw-a');
    const dispatchA = only(trace, 'mcp.dispatch', 'gw-a');
    const forward = only(trace, 'mcp.forward', 'gw-a');
    const ingestB = only(trace, 'mcp.ingest', 'gw-b');
    expect(trace.spans.every((s) => s.traceID === traceId)).toBe(true);
    expect(parentOf(ingestA)).toBe(producerSpan);
    expect(parentOf(dispatchA)).toBe(ingestA.spanID);
    expect(parentOf(forward)).toBe(ingestA.spanID);
    expect(parentOf(ingestB)).toBe(forward.spanID);
    // Attributes: the event, the ingress, the target, the attempt and its answer.
    expect(tagOf(ingestA, 'mcp.event.id')).toBe('traced-1');
    expect(tagOf(ingestA, 'mcp.ingest.method')).toBe('http');
    expect(tagOf(ingestA, 'mcp.ingest.outcome')).toBe('accepted');
    expect(tagOf(ingestA, 'span.kind')).toBe('server');
    expect(tagOf(forward, 'span.kind')).toBe('client');
    expect(tagOf(forward, 'mcp.event.id')).toBe('traced-1');
    expect(tagOf(forward, 'mcp.target.url')).toBe(b.httpUrl);
    expect(tagOf(forward, 'mcp.forward.attempt')).toBe(1);
    expect(tagOf(forward, 'mcp.forward.mode')).toBe('batch');
    expect(tagOf(forward, 'mcp.forward.status')).toBe('200');
    expect(tagOf(forward, 'mcp.forward.outcome')).toBe('ok');
    expect(tagOf(ingestB, 'mcp.event.id')).toBe('traced-1');
    expect(tagOf(ingestB, 'mcp.gateway.id')).toBe('gw-b');
    // The resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES were honoured.
    const process = trace.processes[ingestA.processID]!;
    expect(process.tags).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'deployment.environment', value: 'e2e' })]));

    // Subscribers see the trace context of the ingest span of their own gateway, tracestate kept.
    await eventually(() => atA.events.length > 0 && atB.events.length > 0, 10_000, 'both subscribers got the event');
    expect(atA.events[0]!.metadata.traceparent).toBe(traceparentOf(traceId, ingestA.spanID));
    expect(atA.events[0]!.metadata.tracestate).toBe('producer=e2e');
    expect(atB.events[0]!.metadata.traceparent).toBe(traceparentOf(traceId, ingestB.spanID));
  });

  it('shows each retry as its own attempt span, over gRPC to B and as the CloudEvents extension to a webhook', async () => {
    const b = await gateway('gw-b2');
    let first = true;
    const webhook: Receiver = await startReceiver(() => {
      if (first) {
        first = false;
        return { status: 503 };
      }
      return { status: 200 };
    });
    closers.push(() => webhook.close());
    const a = await gateway(
      'gw-a2',
      {},
      {
        forwarding: { targets: [`grpc://${b.grpcAddress}`] },
        routes: [{ name: 'webhook', match: { eventTypes: ['doc.*'] }, targets: [{ url: `${webhook.url}/hook`, format: 'cloudevents' }] }],
      },
    );
    const traceId = hex(32);
    const producerSpan = hex(16);
    const client = mcpClient(a.grpcAddress);
    closers.push(async () => client.close());
    await unaryWith(client, 'IngestEvent', testEvent('traced-2', 'doc.updated'), metadataOf({ traceparent: traceparentOf(traceId, producerSpan) }));

    const trace = await traceWith(
      traceId,
      (t) =>
        t.spans.filter((s) => s.operationName === 'mcp.forward').length >= 3 && t.spans.filter((s) => s.operationName === 'mcp.ingest').length >= 2,
      'two attempts to the webhook, one to B, ingest at B',
    );
    const ingestA = only(trace, 'mcp.ingest', 'gw-a2');
    expect(parentOf(ingestA)).toBe(producerSpan);
    expect(tagOf(ingestA, 'mcp.ingest.method')).toBe('grpc');
    const toB = only(trace, 'mcp.forward', 'gw-a2', (s) => tagOf(s, 'mcp.target.url') === `grpc://${b.grpcAddress}`);
    expect(tagOf(toB, 'mcp.forward.status')).toBe('OK');
    expect(tagOf(toB, 'mcp.forward.mode')).toBe('grpc-stream');
    const ingestB = only(trace, 'mcp.ingest', 'gw-b2');
    expect(parentOf(ingestB)).toBe(toB.spanID);
    expect(tagOf(ingestB, 'mcp.ingest.method')).toBe('grpc');

    const toWebhook = trace.spans
      .filter((s) => s.operationName === 'mcp.forward' && tagOf(s, 'mcp.target.url') === `${webhook.url}/hook`)
      .sort((x, y) => Number(tagOf(x, 'mcp.forward.attempt')) - Number(tagOf(y, 'mcp.forward.attempt')));
    expect(toWebhook.map((s) => [tagOf(s, 'mcp.forward.attempt'), tagOf(s, 'mcp.forward.status'), tagOf(s, 'mcp.forward.outcome')])).toEqual([
      [1, '503', 'error'],
      [2, '200', 'ok'],
    ]);
    expect(toWebhook.every((s) => parentOf(s) === ingestA.spanID)).toBe(true);
    expect(tagOf(toWebhook[0]!, 'otel.status_code')).toBe('ERROR');
    // Each attempt went out carrying its own span: ce-traceparent (the CloudEvents extension) and traceparent.
    await eventually(() => webhook.received.length >= 2, 10_000, 'the webhook got both attempts');
    expect(webhook.received.map((r) => r.headers['ce-traceparent'])).toEqual(toWebhook.map((s) => traceparentOf(traceId, s.spanID)));
    expect(webhook.received.map((r) => r.headers.traceparent)).toEqual(toWebhook.map((s) => traceparentOf(traceId, s.spanID)));
  });

  it('re-signs each attempt for a peer that requires signed federation (the signature covers the trace context)', async () => {
    const secrets = new SecretDir();
    closers.push(async () => secrets.remove());
    const keys = secrets.write('keys', `k1=${'k'.repeat(40)}\n`);
    // Client auth on: the forwarded events get in by their signature alone.
    const b = await gateway('gw-signed-b', {
      AUTH_MODE: 'apiKey',
      AUTH_API_KEYS_FILE: secrets.write('api-keys', `${randomKey()}\n`),
      FEDERATION_KEYS_FILE: keys,
      FEDERATION_REQUIRE_SIGNATURES: 'true',
    });
    const a = await gateway('gw-signed-a', { FORWARD_TO: b.httpUrl, FEDERATION_KEYS_FILE: keys });
    const traceId = hex(32);
    const response = await fetch(`${a.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparentOf(traceId, hex(16)) },
      body: JSON.stringify(testEvent('signed-traced-1')),
    });
    expect(response.status).toBe(200);
    const trace = await traceWith(
      traceId,
      (t) => t.spans.some((s) => s.operationName === 'mcp.ingest' && serviceOf(t, s) === 'gw-signed-b'),
      'ingest at the signing peer',
    );
    const forward = only(trace, 'mcp.forward', 'gw-signed-a');
    const ingestB = only(trace, 'mcp.ingest', 'gw-signed-b');
    expect(tagOf(forward, 'mcp.forward.outcome')).toBe('ok');
    expect(tagOf(ingestB, 'mcp.ingest.outcome')).toBe('accepted');
    expect(parentOf(ingestB)).toBe(forward.spanID);
  });

  it("takes the WebSocket upgrade request's traceparent for the events sent on the socket", async () => {
    const a = await gateway('gw-ws');
    const traceId = hex(32);
    const upgradeSpan = hex(16);
    const socket = new WebSocket(`ws://127.0.0.1:${a.ports.http}/api/v1/ws`, { headers: { traceparent: traceparentOf(traceId, upgradeSpan) } });
    closers.push(async () => socket.close());
    const replies: { status?: string }[] = [];
    socket.on('message', (data) => replies.push(JSON.parse(data.toString()) as { status?: string }));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify(testEvent('ws-traced-1')));
    await eventually(() => replies.some((r) => r.status === 'accepted'), 10_000, 'the socket answered accepted');
    const trace = await traceWith(traceId, (t) => t.spans.some((s) => s.operationName === 'mcp.ingest'), 'the ingest span of the socket event');
    const ingest = only(trace, 'mcp.ingest', 'gw-ws');
    expect(parentOf(ingest)).toBe(upgradeSpan);
    expect(tagOf(ingest, 'mcp.ingest.method')).toBe('websocket');
    expect(tagOf(ingest, 'mcp.event.id')).toBe('ws-traced-1');
  });

  it('samples by OTEL_TRACES_SAMPLER: with always_off nothing is exported, yet the context still travels', async () => {
    const webhook = await startReceiver();
    closers.push(() => webhook.close());
    const a = await gateway('gw-off', { OTEL_TRACES_SAMPLER: 'always_off', FORWARD_TO: `${webhook.url}/hook` });
    const traceId = hex(32);
    const response = await fetch(`${a.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${hex(16)}-00` },
      body: JSON.stringify(testEvent('untraced-1')),
    });
    expect(response.status).toBe(200);
    await eventually(() => webhook.received.length === 1, 10_000, 'the event was forwarded');
    const forwarded = JSON.parse(webhook.received[0]!.body) as { metadata: Record<string, string> };
    expect(forwarded.metadata.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    // A gateway that samples exports within 100 ms; give this one ample time to prove it does not.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await jaeger.trace(traceId)).toBeUndefined();
    expect(await jaeger.services()).not.toContain('gw-off');
  });

  it('exports the spans still queued when it shuts down', async () => {
    // A schedule delay far beyond the test: only the shutdown's flush can have sent the span.
    const a = await gateway('gw-flush', { OTEL_BSP_SCHEDULE_DELAY: '600000' });
    const traceId = hex(32);
    const response = await fetch(`${a.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparentOf(traceId, hex(16)) },
      body: JSON.stringify(testEvent('flushed-1')),
    });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await jaeger.trace(traceId)).toBeUndefined();
    expect(await a.stop()).toBe(0);
    const trace = await traceWith(traceId, (t) => t.spans.length >= 1, 'the ingest span, after shutdown');
    expect(tagOf(only(trace, 'mcp.ingest', 'gw-flush'), 'mcp.event.id')).toBe('flushed-1');
  });

  it('refuses a bad OTEL_* setting at start, naming it', async () => {
    const refused = await startGateway({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' },
      waitReady: false,
    });
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/OTEL_TRACES_SAMPLER_ARG: "2"/);
  });
});
