// Hostile input, generated in bulk from a seeded PRNG, through HTTP (raw sockets) and gRPC (real
// grpc-js clients, and raw bytes past the protobuf serializer): malformed and deeply nested JSON,
// invalid UTF-8, huge headers, oversized, truncated and stalled bodies, wrong types in every
// field. The gateway must not crash, never answer 5xx, keep its memory bounded (RSS sampled
// throughout), and answer every case with a 4xx or a gRPC status that is not OK.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayProcess } from './support/gateway-process.js';
import { mcpClient } from './support/grpc-clients.js';
import { pool, rawExchange, seededRandom, type RawRequest } from './support/raw-http.js';

const MAX_EVENT_SIZE = 64 * 1024;
const BODY_LIMIT = 2 * MAX_EVENT_SIZE + 64 * 1024;
const random = seededRandom(20261121);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

let gateway: GatewayProcess;
let rssSamples: number[] = [];
let sampler: NodeJS.Timeout;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

beforeAll(async () => {
  gateway = await startGateway({
    env: { MAX_EVENT_SIZE: String(MAX_EVENT_SIZE), REQUEST_TIMEOUT: '1s', BUFFER_SIZE: '20000', HISTORY_SIZE: '1000', LOG_LEVEL: 'error' },
  });
  rssSamples = [rssOf(gateway.child.pid!)];
  sampler = setInterval(() => {
    try {
      rssSamples.push(rssOf(gateway.child.pid!));
    } catch {
      // exited: the liveness checks below say so
    }
  }, 50);
});
afterAll(async () => {
  clearInterval(sampler);
  expect(await gateway.stop()).toBe(0);
});

// ---------------------------------------------------------------- generators

const validEvent = () => ({
  event_id: `h-${int(0, 1e9)}`,
  event_type: pick(['document.uploaded', 'user.created', 'a']),
  source: 'hostile',
  data: JSON.stringify({ n: int(0, 1000) }),
  metadata: { tenant_id: 't' },
});

/** Values each field must refuse. */
const WRONG: Record<string, unknown[]> = {
  event_id: [null, 1, true, [], {}, '', 'x'.repeat(129), ['a']],
  event_type: [null, 1, false, [], {}, '', '-bad', 'a b', '.x', 'x'.repeat(257), 'ü', '\u0000'],
  source: [null, 2, true, [], {}, '', 's'.repeat(257)],
  timestamp: [-1, 1.5, 'abc', [], {}, true, 2 ** 60, '-5', '1e3'],
  data: [null, 1, {}, [], 'not json', '', '{', '{"a":}', true],
  metadata: [
    1,
    'x',
    [],
    true,
    { a: 1 },
    { a: null },
    { a: {} },
    { a: [] },
    { '': 'v' },
    { a: 'v'.repeat(4097) },
    Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])),
  ],
};
const FIELDS = Object.keys(WRONG);

function wrongTypes(): Record<string, unknown> {
  const event: Record<string, unknown> = validEvent();
  const count = int(1, 3);
  for (let i = 0; i < count; i++) {
    const field = pick(FIELDS);
    event[field] = pick(WRONG[field]!);
  }
  // Stay a full event: with no event_id but an id, it would be read as the legacy shape.
  return event;
}

function nested(depth: number, kind: 'array' | 'object' | 'metadata' | 'data-object'): string {
  const open = kind === 'array' ? '[' : '{"a":';
  const close = kind === 'array' ? ']' : '}';
  const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
  if (kind === 'metadata') return `{"event_id":"n","event_type":"t","source":"s","data":"{}","metadata":{"k":${inner}}}`;
  if (kind === 'data-object') return `{"event_id":"n","event_type":"t","source":"s","data":${inner}}`;
  return inner;
}

const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]];

function invalidUtf8Body(): Buffer {
  const json = JSON.stringify({ ...validEvent(), source: 'SPLIT' });
  const [before, after] = json.split('SPLIT') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(pick(INVALID_UTF8)), Buffer.from(after)]);
}

interface HttpCase {
  kind: string;
  request: RawRequest;
  /** Statuses that count as a clear answer for this case; 'closed' = the server may just close. */
  expect: (status: number | 'closed') => boolean;
}

const is4xx = (status: number | 'closed') => typeof status === 'number' && status >= 400 && status < 500;
const json = (body: string | Buffer, path = pick(['/mcp', '/api/v1/events'])): RawRequest => ({
  path,
  headers: { 'content-type': 'application/json' },
  body,
});

function httpCases(): HttpCase[] {
  const cases: HttpCase[] = [];
  const add = (count: number, kind: string, make: () => RawRequest, expectation: HttpCase['expect'] = is4xx) => {
    for (let i = 0; i < count; i++) cases.push({ kind, request: make(), expect: expectation });
  };
  add(3000, 'wrong types', () => json(JSON.stringify(wrongTypes())));
  add(300, 'wrong types in a batch', () => json(JSON.stringify([wrongTypes(), wrongTypes()]), '/api/v1/events/batch'));
  // The good ones are taken, the bad one answered in results[]: 200, never a 5xx.
  add(
    100,
    'a batch mixing good and wrong',
    () => json(JSON.stringify([validEvent(), wrongTypes(), validEvent()]), '/api/v1/events/batch'),
    (s) => s === 200,
  );
  add(1500, 'malformed JSON (truncated)', () => {
    const text = JSON.stringify(validEvent());
    return json(text.slice(0, int(1, text.length - 1)));
  });
  add(300, 'malformed JSON (garbage)', () =>
    json(pick(['{', '}', '[', 'nul', 'tru', '{"a"', '{"a":1,}', "{'a':1}", 'NaN', '{"a":01}', '\u0000', '"unterminated', '{"a":"\\x"}'])),
  );
  add(200, 'deeply nested JSON', () => {
    const kind = pick(['array', 'object', 'metadata', 'data-object'] as const);
    return json(nested(int(1_000, kind === 'array' ? 90_000 : 30_000), kind));
  });
  add(1000, 'invalid UTF-8', () => json(invalidUtf8Body()));
  // Node answers 431 as soon as the headers pass 16 KiB and closes; while the client is still
  // writing, the close can reset the connection before the 431 is read.
  add(
    100,
    'huge headers',
    () => ({ ...json(JSON.stringify(validEvent())), headers: { 'content-type': 'application/json', 'x-pad': 'p'.repeat(int(17_000, 200_000)) } }),
    (s) => s === 431 || s === 'closed',
  );
  add(
    100,
    'oversized body',
    () => json(Buffer.alloc(int(BODY_LIMIT + 1, 4 * BODY_LIMIT), 0x20)),
    (s) => s === 413 || s === 'closed',
  );
  add(
    100,
    'oversized batch',
    () => json(Buffer.alloc(11 * 1024 * 1024, 0x20), '/api/v1/events/batch'),
    (s) => s === 413 || s === 'closed',
  );
  add(
    500,
    'truncated body (client gives up)',
    () => {
      const body = JSON.stringify(validEvent());
      return { ...json(body.slice(0, int(0, body.length - 1))), contentLength: body.length, endAfterWrite: true };
    },
    (s) => is4xx(s) || s === 'closed',
  );
  add(300, 'wrong content type', () => ({
    ...json(JSON.stringify(validEvent())),
    headers: { 'content-type': pick(['text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded', 'json', '']) },
  }));
  add(200, 'no such route or method', () => ({
    ...json(JSON.stringify(validEvent()), pick(['/', '/mcp/x', '/api/v2/events', '/%00', '/..%2f..%2fetc/passwd'])),
    method: pick(['POST', 'PUT', 'DELETE', 'PATCH']),
  }));
  add(300, 'bad batches', () =>
    json(pick(['{}', '[]', '{"events":1}', '"x"', '1', JSON.stringify(Array.from({ length: 1001 }, validEvent))]), '/api/v1/events/batch'),
  );
  return cases;
}

// ---------------------------------------------------------------- gRPC

/** A hand-built protobuf field: tag + length + raw bytes (which may be anything). */
function field(number: number, bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(number << 3) | 2, ...varint(bytes.length)]), bytes]);
}
function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 127) {
    out.push((value & 127) | 128);
    value >>>= 7;
  }
  out.push(value);
  return out;
}

function rawProtoCase(): Buffer {
  switch (int(0, 3)) {
    case 0: // random bytes
      return Buffer.from(Array.from({ length: int(1, 200) }, () => int(0, 255)));
    case 1: // a length that runs past the end
      return Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x41]);
    case 2: // invalid UTF-8 in event_type (decoded as U+FFFD, which the type pattern refuses)
      return Buffer.concat([
        field(1, Buffer.from('u')),
        field(2, Buffer.from(pick(INVALID_UTF8))),
        field(3, Buffer.from('s')),
        field(5, Buffer.from('{}')),
      ]);
    default: // invalid UTF-8 in data, outside any JSON string
      return Buffer.concat([
        field(1, Buffer.from('u')),
        field(2, Buffer.from('t')),
        field(3, Buffer.from('s')),
        field(5, Buffer.concat([Buffer.from('{'), Buffer.from(pick(INVALID_UTF8)), Buffer.from('}')])),
      ]);
  }
}

/** Proto-typed values that the validator must refuse. */
function wrongProtoEvent(): Record<string, unknown> {
  const event: Record<string, unknown> = { ...validEvent(), timestamp: 0 };
  switch (int(0, 5)) {
    case 0:
      event.event_id = pick(['', 'x'.repeat(129)]);
      break;
    case 1:
      event.event_type = pick(['', '-bad', 'a b', 'x'.repeat(257)]);
      break;
    case 2:
      event.source = pick(['', 's'.repeat(257)]);
      break;
    case 3:
      event.data = pick(['', 'not json', '{', '{"a":}']);
      break;
    case 4:
      event.metadata = pick([{ a: 'v'.repeat(4097) }, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))]);
      break;
    default:
      event.timestamp = -int(1, 1e6);
  }
  return event;
}

type GrpcResult = { code: grpc.status; details: string };

function rawUnary(client: grpc.Client, bytes: Buffer): Promise<GrpcResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/mcp.v1.MCPService/IngestEvent',
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (error) => resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

function unaryEvent(client: grpc.Client & Record<string, any>, event: unknown, metadata = new grpc.Metadata()): Promise<GrpcResult> {
  return new Promise((resolve) => {
    client.IngestEvent(event, metadata, (error: grpc.ServiceError | null) =>
      resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

function streamResult(stream: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>): Promise<GrpcResult> {
  return new Promise((resolve) => {
    // A stream the gateway keeps open is not an answer: it counts as OK, which the checks refuse.
    const timer = setTimeout(() => {
      stream.cancel();
      resolve({ code: grpc.status.OK, details: 'still open after 5 s' });
    }, 5000);
    stream.on('data', () => {});
    stream.on('status', () => clearTimeout(timer));
    stream.on('error', (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }));
    stream.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ code: status.code, details: status.details })));
  });
}

// ---------------------------------------------------------------- the run

describe('hostile input', () => {
  const tally = new Map<string, Map<string, number>>();
  const count = (kind: string, answer: string) => {
    const row = tally.get(kind) ?? new Map<string, number>();
    row.set(answer, (row.get(answer) ?? 0) + 1);
    tally.set(kind, row);
  };
  const unclear: string[] = [];

  it('HTTP: thousands of cases, each answered with a clear 4xx (or a close where the client broke off); never a 5xx', async () => {
    const cases = httpCases();
    expect(cases.length).toBeGreaterThanOrEqual(7000);
    const stalled = Array.from({ length: 40 }, () => {
      const body = JSON.stringify(validEvent());
      return rawExchange(gateway.ports.http, { ...json(body.slice(0, 10)), contentLength: body.length, timeoutMs: 5000 });
    });
    const answers = await pool(
      cases.map((c) => () => rawExchange(gateway.ports.http, { timeoutMs: 5000, ...c.request })),
      32,
    );
    answers.forEach((answer, i) => {
      const c = cases[i]!;
      count(`http ${c.kind}`, String(answer.status));
      if (!c.expect(answer.status)) unclear.push(`${c.kind}: ${answer.status} ${answer.text.slice(0, 200)}`);
    });
    for (const answer of await Promise.all(stalled)) {
      count('http stalled body', String(answer.status));
      if (answer.status !== 408) unclear.push(`stalled body: ${answer.status}`);
    }
    const fiveHundreds = answers.filter((a) => typeof a.status === 'number' && a.status >= 500);
    expect(fiveHundreds.length).toBe(0);
    expect(unclear.slice(0, 20)).toEqual([]);
    // Every 4xx carries a message that says what is wrong (431 comes from Node before any route).
    const bodies = answers.filter((a) => a.status === 400).slice(0, 200);
    for (const answer of bodies) expect(answer.text).toMatch(/"message":"[^"]+/);
  }, 120_000);

  it('gRPC: thousands of cases, each ending with a status that is not OK, never UNKNOWN', async () => {
    const client = mcpClient(gateway.grpcAddress);
    const legacy = (await import('./support/grpc-clients.js')).legacyClient(gateway.grpcAddress);
    const tasks: (() => Promise<void>)[] = [];
    const expectNotOk = (kind: string, allowed: grpc.status[]) => (result: GrpcResult) => {
      const name = grpc.status[result.code] ?? String(result.code);
      // Transport-level refusals say why in their details: keep them apart in the tally.
      count(`grpc ${kind}`, result.code === grpc.status.INTERNAL ? `${name} (${result.details.slice(0, 60)})` : name);
      if (!allowed.includes(result.code)) unclear.push(`${kind}: ${grpc.status[result.code]} ${result.details}`);
    };
    for (let i = 0; i < 1000; i++) {
      const bytes = rawProtoCase();
      // Undecodable protobuf is answered INTERNAL by grpc-js itself, before any handler runs.
      tasks.push(() => rawUnary(client, bytes).then(expectNotOk('raw protobuf', [grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT])));
    }
    for (let i = 0; i < 1600; i++) {
      const event = wrongProtoEvent();
      tasks.push(() => unaryEvent(client, event).then(expectNotOk('wrong values', [grpc.status.INVALID_ARGUMENT])));
    }
    for (let i = 0; i < 60; i++) {
      const event = { ...validEvent(), data: JSON.stringify({ pad: 'x'.repeat(int(MAX_EVENT_SIZE, 3 * MAX_EVENT_SIZE)) }) };
      tasks.push(() => unaryEvent(client, event).then(expectNotOk('oversized', [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED])));
    }
    // Metadata well over HTTP/2's header list limit (Node's default, about 64 KiB; grpc-js offers
    // no server option for it) is refused by HTTP/2 itself, and the connection it came on is torn down with
    // COMPRESSION_ERROR: so these go on a connection of their own, and the other cases show that
    // everyone else's connections are unaffected.
    const hostileConnection = mcpClient(gateway.grpcAddress);
    for (let i = 0; i < 60; i++) {
      const metadata = new grpc.Metadata();
      metadata.set('x-pad', randomBytes(int(100_000, 300_000)).toString('base64'));
      tasks.push(() =>
        unaryEvent(hostileConnection, validEvent(), metadata).then(
          expectNotOk('huge metadata', [grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL, grpc.status.UNAVAILABLE, grpc.status.CANCELLED]),
        ),
      );
    }
    for (let i = 0; i < 200; i++) {
      const patterns = [pick(['doc*.x', '**', '*a', 'a b', '', '.x*y'])];
      tasks.push(() =>
        streamResult(client.StreamEvents({ event_types: patterns, follow: true })).then(
          expectNotOk('StreamEvents bad filter', [grpc.status.INVALID_ARGUMENT]),
        ),
      );
    }
    for (let i = 0; i < 300; i++) {
      const bad = wrongProtoEvent();
      const useLegacy = i % 3 === 0;
      tasks.push(() => {
        const stream = useLegacy ? legacy.EventStream() : client.EventStream();
        const result = streamResult(stream);
        stream.write(useLegacy ? { id: '', data: pick(['', 'not json', '{']) } : bad);
        return result.then(expectNotOk(useLegacy ? 'legacy EventStream bad event' : 'EventStream bad event', [grpc.status.INVALID_ARGUMENT]));
      });
    }
    expect(tasks.length).toBeGreaterThanOrEqual(3000);
    await pool(tasks, 32);
    client.close();
    legacy.close();
    hostileConnection.close();
    expect(unclear.slice(0, 20)).toEqual([]);
  }, 120_000);

  it('the gateway is alive, serving, and its memory stayed bounded', async () => {
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.healthUrl}/health`)).status).toBe(200);
    const ok = await fetch(`${gateway.httpUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validEvent()),
    });
    expect(ok.status).toBe(200);
    const total = [...tally.values()].reduce((sum, row) => sum + [...row.values()].reduce((a, b) => a + b, 0), 0);
    const [first, peak] = [rssSamples[0]!, Math.max(...rssSamples)];
    console.log(
      `hostile input: ${total} cases; RSS ${(first / 2 ** 20).toFixed(0)} MiB at start, peak ${(peak / 2 ** 20).toFixed(0)} MiB, ` +
        `last ${(rssSamples.at(-1)! / 2 ** 20).toFixed(0)} MiB over ${rssSamples.length} samples\n` +
        [...tally].map(([kind, row]) => `  ${kind}: ${[...row].map(([a, n]) => `${a}=${n}`).join(' ')}`).join('\n'),
    );
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(peak).toBeLessThan(first + 400 * 2 ** 20);
  });
});
