// Delivery guarantees under faults, with real gateway processes and a real HTTP peer: every
// accepted event is delivered at least once or is in the dead letters with its reason.
import { afterEach, describe, expect, it } from 'vitest';
import { reservePorts, startGateway, type GatewayProcess } from './support/gateway-process.js';
import { deadLettersIn, startReceiver, type Receiver } from './support/receiver.js';
import { deadLetters, eventually, metric, produce } from './support/traffic.js';

const running: GatewayProcess[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(answer?: Receiver['answer'], port?: number) {
  const created = await startReceiver(answer, port);
  receivers.push(created);
  return created;
}

async function gateway(env: Record<string, string>, ports?: Awaited<ReturnType<typeof reservePorts>>) {
  const started = await startGateway({
    // A short breaker cooldown keeps these tests quick; the breaker itself has unit tests.
    env: {
      FORWARD_INITIAL_BACKOFF: '10ms',
      FORWARD_MAX_BACKOFF: '200ms',
      FORWARD_BREAKER_COOLDOWN: '50ms',
      BUFFER_SIZE: '20000',
      MAX_BATCH_SIZE: '1000',
      ...env,
    },
    ...(ports ? { ports } : {}),
  });
  running.push(started);
  return started;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const unique = (list: string[]) => new Set(list);

async function settled(g: GatewayProcess) {
  await eventually(async () => (await metric(g, 'tas_mcp_forward_in_flight')) === 0, 60_000, 'forwarding settles');
}

async function invariantHolds(g: GatewayProcess) {
  const [accepted, delivered, dead, inFlight] = await Promise.all(
    ['accepted', 'delivered', 'dead_lettered']
      .map((outcome) => metric(g, 'tas_mcp_forward_events_total', { outcome }))
      .concat(metric(g, 'tas_mcp_forward_in_flight')),
  );
  expect(accepted).toBe(delivered! + dead! + inFlight!);
}

describe('a peer that fails', () => {
  it('answering 500 then 200: every event is delivered after a retry', async () => {
    const peer = await receiver((_r, attempt) => ({ status: attempt === 1 ? 500 : 200 }));
    const g = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(g, ids('e500', 300));
    await settled(g);
    expect(unique(peer.delivered)).toEqual(unique(sent));
    expect(await metric(g, 'tas_mcp_forward_attempts_total', { result: 'retry' })).toBe(300);
    expect(await deadLetters(g)).toEqual([]);
    await invariantHolds(g);
  });

  it('answering 429 with Retry-After: waits that long, then delivers', async () => {
    const firstSeen = new Map<string, number>();
    const retriedAfter: number[] = [];
    const peer = await receiver((request, attempt) => {
      if (attempt === 1) {
        firstSeen.set(request.id, Date.now());
        return { status: 429, headers: { 'retry-after': '1' } };
      }
      retriedAfter.push(Date.now() - firstSeen.get(request.id)!);
      return { status: 200 };
    });
    const g = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(g, ids('e429', 20));
    await settled(g);
    expect(unique(peer.delivered)).toEqual(unique(sent));
    expect(Math.min(...retriedAfter)).toBeGreaterThanOrEqual(950);
  });

  it('answering 400: dead-letters at once with the status; redrive delivers once the peer is fixed', async () => {
    let accept = false;
    const peer = await receiver(() => ({ status: accept ? 200 : 400 }));
    const g = await gateway({ FORWARD_TO: peer.url });
    const sent = await produce(g, ids('e400', 50));
    await settled(g);
    const letters = await deadLetters(g);
    expect(letters).toHaveLength(50);
    expect(letters[0]).toMatchObject({ reason: 'rejected', attempts: 1, lastStatus: '400', target: `127.0.0.1:${peer.port}` });
    expect(peer.received).toHaveLength(50); // no retries of a refused event
    await invariantHolds(g);

    accept = true;
    const redrive = await fetch(`${g.httpUrl}/api/v1/dlq/redrive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await redrive.json()).toMatchObject({ redriven: 50, unknown_target: 0 });
    await settled(g);
    expect(unique(peer.delivered)).toEqual(unique(sent));
    expect(await deadLetters(g)).toEqual([]);
  });

  it('that hangs: each attempt times out; after the last, the event is dead-lettered', async () => {
    const peer = await receiver(() => ({ hang: true }));
    const g = await gateway({ FORWARD_TO: peer.url, FORWARD_TIMEOUT: '150ms', FORWARD_MAX_ATTEMPTS: '2' });
    await produce(g, ids('hang', 10));
    await settled(g);
    const letters = await deadLetters(g);
    expect(letters).toHaveLength(10);
    expect(letters.every((l) => l.reason === 'attempts_exhausted' && l.attempts === 2 && l.lastStatus === 'timeout')).toBe(true);
    await invariantHolds(g);
  });
});

describe('a peer killed and restarted', () => {
  it('during 50,000 events: each is delivered at least once or dead-lettered with its reason', async () => {
    const peer = await receiver();
    const g = await gateway({
      FORWARD_TO: peer.url,
      FORWARD_QUEUE_SIZE: '60000',
      FORWARD_MAX_ATTEMPTS: '100',
      FORWARD_BREAKER_COOLDOWN: '200ms',
      FORWARD_TIMEOUT: '2s',
    });
    const all = ids('kill', 50_000);
    const producing = produce(g, all, { batch: 500 });
    await eventually(() => peer.delivered.length > 10_000, 30_000, 'traffic flowing');
    await peer.crash();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await peer.restart();
    const sent = await producing;
    await settled(g);

    const delivered = unique(peer.delivered);
    const letters = await deadLetters(g, 1000);
    const dead = new Set(letters.map((l) => l.event.event_id));
    const lost = sent.filter((id) => !delivered.has(id) && !dead.has(id));
    const duplicates = peer.delivered.length - delivered.size;
    const retries = await metric(g, 'tas_mcp_forward_attempts_total', { result: 'retry' });
    console.log(
      `kill/restart: ${sent.length} accepted, ${delivered.size} delivered, ${dead.size} dead-lettered, ${duplicates} duplicates, ${retries} retried attempts`,
    );
    expect(retries).toBeGreaterThan(0); // the crash was felt
    expect(lost).toEqual([]);
    expect(sent).toHaveLength(50_000);
    await invariantHolds(g);
  });

  it('a real gateway peer restarted mid-run: everything reaches its downstream or a dead-letter sink', async () => {
    const downstream = await receiver();
    const sinkA = await receiver();
    const sinkB = await receiver();
    const bPorts = await reservePorts();
    const bEnv = { FORWARD_TO: downstream.url, DEAD_LETTER_URL: sinkB.url, SHUTDOWN_GRACE_PERIOD: '5s' };
    let b = await gateway(bEnv, bPorts);
    const a = await gateway({
      FORWARD_TO: `http://127.0.0.1:${bPorts.http}`,
      DEAD_LETTER_URL: sinkA.url,
      FORWARD_QUEUE_SIZE: '30000',
      FORWARD_MAX_ATTEMPTS: '100',
      FORWARD_BREAKER_COOLDOWN: '200ms',
    });
    const producing = produce(a, ids('restart', 20_000), { batch: 500 });
    await eventually(() => downstream.delivered.length > 2000, 30_000, 'traffic flowing');
    expect(await b.stop('SIGTERM')).toBe(0);
    running.splice(running.indexOf(b), 1);
    b = await gateway(bEnv, bPorts);
    const sent = await producing;
    await settled(a);
    await settled(b);

    const lettered = [...deadLettersIn(sinkA), ...deadLettersIn(sinkB)];
    const reached = unique([...downstream.delivered, ...lettered.map((l) => l.event.event_id)]);
    expect(sent.filter((id) => !reached.has(id))).toEqual([]);
    console.log(
      `gateway restart: ${sent.length} accepted, ${unique(downstream.delivered).size} downstream, ` +
        `${downstream.delivered.length - unique(downstream.delivered).size} duplicates, ${lettered.length} dead letters`,
    );
  });
});

describe('SIGTERM under load', () => {
  it('drains to the peer within the grace period and dead-letters the rest to the sink: nothing is lost', async () => {
    // Each request (a batch of up to 100) takes 400 ms, one at a time.
    const peer = await receiver(() => ({ status: 200, delayMs: 400 }));
    const sink = await receiver();
    const g = await gateway({
      FORWARD_TO: peer.url,
      DEAD_LETTER_URL: sink.url,
      FORWARD_CONCURRENCY: '1',
      FORWARD_QUEUE_SIZE: '10000',
      SHUTDOWN_GRACE_PERIOD: '1s',
    });
    const sent = await produce(g, ids('term', 2000));
    expect(await g.stop('SIGTERM')).toBe(0);
    running.splice(running.indexOf(g), 1);
    const delivered = unique(peer.delivered);
    const deadLettered = deadLettersIn(sink); // the gateway waited for the sink before it exited
    expect(deadLettered.length).toBeGreaterThan(0); // the slow peer could not take 2000 in 1 s
    expect(deadLettered.every((l) => l.reason === 'shutdown')).toBe(true);
    const accounted = new Set([...delivered, ...deadLettered.map((l) => l.event.event_id)]);
    expect(sent.filter((id) => !accounted.has(id))).toEqual([]);
  });
});
